"""# Transfer learning in PyTorch: freeze a pretrained base, train a new head, fine-tune

A network trained on one task has learned features (edges, strokes, loops) that are
useful for a related task. Transfer learning reuses them:

1. take a pretrained convolutional *base* (here: a small CNN with BatchNorm that the
   course trained on the handwritten digits 0-4);
2. **freeze** it: its weights get no gradients and no optimizer step changes them;
3. put a new **head** on top: global average pooling (one number per channel) and a
   linear layer for the new classes (here: the digits 5-9);
4. train only the head; then optionally **fine-tune**: unfreeze the last layers of the
   base and train again with a much lower learning rate, so the pretrained features
   are adjusted, not destroyed.

**BatchNorm needs care.** A BatchNorm layer has two modes. In training mode it
normalises with the statistics of the current batch and updates its running mean and
variance; in inference (eval) mode it uses the stored running statistics. Freezing the
weights with `requires_grad = False` does NOT stop a BatchNorm layer in training mode
from updating its running statistics (they are buffers, not parameters) and from
normalising with batch statistics, so a frozen base would drift as soon as you call
`model.train()` for the head. A frozen BatchNorm layer must therefore stay in eval mode
*even when the whole model is switched to training mode*. One way is a forward
pre-hook on each frozen BatchNorm layer that switches it to eval mode just before it
runs (another robust way: override `train()` on those layers). The
grader checks the behaviour (statistics unchanged, same output as in eval mode), not
the `training` flag.

**Counting parameters** is how you check what you froze: `count_params(model)` counts
every parameter (once, even when two layers share it; buffers such as BatchNorm's
running statistics are not parameters), `count_params(model, trainable_only=True)`
only those with `requires_grad`. With a frozen base and a binary head (one output, a
logit for the positive class), the trainable count is `n_features + 1`.

Layers are addressed by their index among the model's direct children, as in
`list(model.children())`: `unfreeze_from(base, i)` makes children `i, i+1, ...`
trainable and keeps children `0 .. i-1` frozen.
"""

import torch
from torch import nn

# BatchNorm layers of every dimension (they share a private base class; name them here).
_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _bn_eval_hook(module, inputs):
    """Forward pre-hook of a frozen BatchNorm layer: run it in inference mode."""
    module.training = False


def freeze(module):
    """Freeze a module in place: no gradients, and BatchNorm layers kept in eval mode.

    Every parameter of `module` (recursively) gets requires_grad = False, so an
    optimizer step leaves it unchanged. Every BatchNorm layer inside `module` is put in
    eval mode and STAYS in eval mode while frozen, even after `model.train()` on a model
    that contains it: its running statistics are not updated and it normalises with
    them. (One robust way: register a forward pre-hook such as `_bn_eval_hook` above on
    each BatchNorm layer, so it is switched to eval mode before every call, and let
    `unfreeze_from` remove it; another: override `train()` on those layers.) Freezing
    twice is harmless.

    Inputs:
    - module: an nn.Module (modified in place).

    Returns:
    - module (the same object, for chaining).
    """
    ### BEGIN SOLUTION
    # TODO: requires_grad_(False) on every parameter; keep each BatchNorm layer in eval mode (hook or train override).
    for p in module.parameters():
        p.requires_grad_(False)
    for m in module.modules():
        if isinstance(m, _BATCHNORMS):
            m.eval()
            if "_freeze_hook" not in m.__dict__:
                m._freeze_hook = m.register_forward_pre_hook(_bn_eval_hook)
    return module
    ### END SOLUTION


def unfreeze_from(model, index):
    """Make children `index, index + 1, ...` of `model` trainable; freeze the ones before.

    Children are `list(model.children())` (the layers of an nn.Sequential, in order).
    After the call, exactly the parameters of children[index:] have requires_grad =
    True, and children[:index] are frozen as by `freeze` (their BatchNorm layers stay
    in eval mode). Whether the unfrozen BatchNorm layers follow the model's train/eval
    mode again (as here) or stay in eval mode while fine-tuning (as Keras recommends) is
    up to you: both are accepted.

    Inputs:
    - model: an nn.Module (modified in place), e.g. a pretrained base.
    - index: int, 0 <= index <= number of children, the first child to train.

    Returns:
    - model.
    """
    ### BEGIN SOLUTION
    # TODO: freeze the children before `index`; make the others trainable (undoing any freeze).
    children = list(model.children())
    for child in children[:index]:
        freeze(child)
    for child in children[index:]:
        for p in child.parameters():
            p.requires_grad_(True)
        for m in child.modules():  # release the BatchNorm layers that freeze pinned to eval mode
            handle = m.__dict__.pop("_freeze_hook", None)
            if handle is not None:
                handle.remove()
        child.train(model.training)  # and let them follow the model's mode again
    return model
    ### END SOLUTION


def count_params(model, trainable_only=False):
    """Number of scalar parameters of `model`.

    Each parameter tensor counts once (a tensor shared by two layers is not counted
    twice) and buffers (BatchNorm's running mean and variance, its batch counter) are not
    parameters.

    Inputs:
    - model: an nn.Module.
    - trainable_only: count only parameters with requires_grad = True.

    Returns:
    - an int.
    """
    ### BEGIN SOLUTION
    # TODO: sum numel() over model.parameters() (it yields shared tensors once), filtered by requires_grad.
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    ### END SOLUTION


def replace_head(base, n_features, n_classes):
    """A classifier: the base, global average pooling, and a new linear layer.

        features = base(x)                       (N, n_features, H, W)
        pooled   = mean over H and W             (N, n_features)
        logits   = pooled W + b                  (N, n_out)

    with n_out = 1 when n_classes == 2 (one logit for the positive class, used with a
    binary cross-entropy on logits) and n_out = n_classes otherwise. The base's
    parameters keep their requires_grad (freeze it before or after, as you need); the
    new linear layer is freshly initialised and trainable. The base is used as is
    (not copied), so freezing it later also freezes it inside the returned model.

    Inputs:
    - base: nn.Module mapping (N, C, H, W) images to (N, n_features, H', W') maps.
    - n_features: channels of the base's output.
    - n_classes: number of classes (>= 2).

    Returns:
    - an nn.Module (e.g. nn.Sequential(base, pooling, flatten, linear)) mapping images to
      logits of shape (N, n_out).
    """
    ### BEGIN SOLUTION
    # TODO: nn.Sequential(base, global average pooling, flatten, nn.Linear(n_features, n_out)).
    n_out = 1 if n_classes == 2 else n_classes
    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))
    ### END SOLUTION
