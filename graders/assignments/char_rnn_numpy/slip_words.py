"""The words that name the known slips of `loss_and_grads` in feedback."""

NO_BPTT = ("no backpropagation through time: dL/dh_t must add the gradient coming back from step "
           "t + 1 (dh = dy_t Why^T + dh_next, with dh_next = da_{t+1} Whh^T); only the output path "
           "at step t is there")
NO_TRANSPOSE = ("dh_next = da Whh: the gradient flowing back to h_{t-1} through h_{t-1} Whh is "
                "da Whh^T (a transpose is missing)")
DTANH_H_PREV = "tanh' uses h_{t-1}: da_t = (1 - h_t**2) * dh_t, with the state of the SAME step"
DTANH_NOT_SQUARED = "tanh' written as 1 - h: it is 1 - h**2"
WHH_WITH_H_T = "dWhh += outer(h_t, da_t): the input of Whh at step t is h_{t-1}, so dWhh += outer(h_{t-1}, da_t)"
NO_MINUS_ONE = "the softmax gradient without the -1 at the target: dy_t = p_t - onehot(targets[t])"
MEAN_GRADIENT = ("the gradient of the MEAN over time steps (divided by T = {T}): the contract's loss "
                 "is the SUM over t")
CLIPPED = "the gradients are clipped inside loss_and_grads; the contract clips only in clip_grads"
ZERO_START = ("the first step ignores h_prev (starts from zeros): h_0 = tanh(x_0 Wxh + h_prev Whh + bh) "
              "uses the state carried over from the previous chunk")
