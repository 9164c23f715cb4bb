"""Buggy and unusual submissions of `transfer_torch` (edits of the reference)."""

from pathlib import Path

from graders.engine.mutants import Mutant

REFERENCE = Path(__file__).resolve().parents[3] / "reference" / "torch" / "transfer_torch.py"

_FREEZE_BN = """    for m in module.modules():
        if isinstance(m, _BATCHNORMS):
            m.eval()
            if "_freeze_hook" not in m.__dict__:
                m._freeze_hook = m.register_forward_pre_hook(_bn_eval_hook)
"""
_RELEASE_BN = """        for m in child.modules():  # release the BatchNorm layers that freeze pinned to eval mode
            handle = m.__dict__.pop("_freeze_hook", None)
            if handle is not None:
                handle.remove()
"""


def _span(first: str, last: str) -> str:
    """The reference text from `first` up to and including `last` (both must occur once)."""
    source = REFERENCE.read_text(encoding="utf-8")
    if source.count(first) != 1 or source.count(last) != 1:
        raise AssertionError(f"anchors of a transfer_torch mutant are gone: {first!r} / {last!r}")
    start = source.index(first)
    return source[start:source.index(last, start) + len(last)]


MUTANTS = [
    # --- freeze
    Mutant(
        name="freeze_ignores_batchnorm",  # requires_grad only: BatchNorm still updates its statistics
        old=_FREEZE_BN,
        new="",
        catches=(
            'freeze: BatchNorm stays in inference mode',
            'unfreeze_from: the earlier BatchNorm layers stay in inference mode',
        ),
        says=('BatchNorm is left in training mode',),
    ),
    Mutant(
        name="freeze_sets_eval_once",  # model.train() later switches BatchNorm back to batch statistics
        old=_FREEZE_BN,
        new="    module.eval()\n",
        catches=(
            'freeze: BatchNorm stays in inference mode',
            'unfreeze_from: the earlier BatchNorm layers stay in inference mode',
        ),
        says=('module.eval() once is not enough',),
    ),
    Mutant(
        name="freeze_keeps_gradients",  # BatchNorm pinned, but requires_grad never set to False
        old="    for p in module.parameters():\n        p.requires_grad_(False)\n    for m in module.modules():",
        new="    for m in module.modules():",
        catches=(
            'freeze: no gradients and unchanged by an optimizer step',
            'unfreeze_from: exactly the later layers trainable',
        ),
        says=('requires_grad is never set to False',),
    ),
    # --- unfreeze_from
    Mutant(
        name="unfreeze_from_one_layer_late",
        old="    for child in children[:index]:\n        freeze(child)\n    for child in children[index:]:",
        new="    for child in children[:index + 1]:\n        freeze(child)\n    for child in children[index + 1:]:",
        catches=(
            'unfreeze_from: exactly the later layers trainable',
            'unfreeze_from: fine-tuned accuracy (5 classes)',
            'unfreeze_from: fine-tuned accuracy (5 vs 9)',
        ),
        says=('children[index + 1:]',),
    ),
    Mutant(
        name="unfreeze_from_one_layer_early",
        old="    for child in children[:index]:\n        freeze(child)\n    for child in children[index:]:",
        new=("    for child in children[:max(index - 1, 0)]:\n        freeze(child)\n"
             "    for child in children[max(index - 1, 0):]:"),
        catches=(
            'unfreeze_from: exactly the later layers trainable',
        ),
        says=('children[index - 1:]',),
    ),
    Mutant(
        name="unfreeze_from_leaves_earlier_layers_trainable",  # only unfreezes, never freezes
        old="    for child in children[:index]:\n        freeze(child)\n",
        new="",
        catches=(
            'unfreeze_from: exactly the later layers trainable',
            'unfreeze_from: the earlier BatchNorm layers stay in inference mode',
        ),
        says=('must also be frozen by it',),
    ),
    Mutant(
        name="unfreeze_from_sets_requires_grad_only",  # earlier BatchNorm layers keep training statistics
        old=_span("    children = list(model.children())\n",
                  "        child.train(model.training)  # and let them follow the model's mode again\n"),
        new=("    for i, child in enumerate(model.children()):\n"
             "        for p in child.parameters():\n"
             "            p.requires_grad_(i >= index)\n"),
        catches=(
            'unfreeze_from: the earlier BatchNorm layers stay in inference mode',
        ),
        says=('only requires_grad is set',),
    ),
    # --- count_params
    Mutant(
        name="count_params_counts_buffers",
        old="    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
        new=("    n = sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)\n"
             "    return n + sum(b.numel() for b in model.buffers())  # running statistics are not parameters"),
        catches=(
            'count_params: buffers not counted',
            'count_params: trainable_only counts only trainable parameters',
        ),
        says=('buffers are counted',),
    ),
    Mutant(
        name="count_params_double_counts_shared",
        old="    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
        new=("    return sum(p.numel() for m in model.modules() for p in m.parameters(recurse=False)\n"
             "               if p.requires_grad or not trainable_only)"),
        catches=(
            'count_params: shared weights counted once',
        ),
        says=('counted twice',),
    ),
    Mutant(
        name="count_params_state_dict",  # buffers AND shared tensors under both names
        old="    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
        new=("    if trainable_only:\n"
             "        return sum(p.numel() for p in model.parameters() if p.requires_grad)\n"
             "    return sum(v.numel() for v in model.state_dict().values())"),
        catches=(
            'count_params: buffers not counted',
            'count_params: shared weights counted once',
        ),
        says=('buffers are counted',),
    ),
    Mutant(
        name="count_params_ignores_trainable_only",
        old="    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
        new="    return sum(p.numel() for p in model.parameters())",
        catches=(
            'count_params: trainable_only counts only trainable parameters',
        ),
        says=('trainable_only is ignored',),
    ),
    Mutant(
        name="count_params_trainable_only_inverted",  # counts the frozen parameters
        old="    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
        new="    return sum(p.numel() for p in model.parameters() if not p.requires_grad or not trainable_only)",
        catches=(
            'count_params: trainable_only counts only trainable parameters',
        ),
        says=('inverted',),
    ),
    Mutant(
        name="count_params_counts_tensors",
        old="    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
        new="    return sum(1 for p in model.parameters() if p.requires_grad or not trainable_only)",
        catches=(
            'count_params: every parameter, as scalars',
            'count_params: trainable_only counts only trainable parameters',
            'count_params: shared weights counted once',
            'count_params: buffers not counted',
        ),
        says=('TENSORS',),
    ),
    # --- replace_head
    Mutant(
        name="replace_head_two_outputs_for_two_classes",
        old="    n_out = 1 if n_classes == 2 else n_classes",
        new="    n_out = n_classes",
        catches=(
            'replace_head: one output for two classes',
            'replace_head: global average pool + linear',
            'replace_head: head-only accuracy (5 vs 9)',
            'unfreeze_from: fine-tuned accuracy (5 vs 9)',
        ),
        says=('two outputs for two classes',),
    ),
    Mutant(
        name="replace_head_global_max_pooling",
        old="nn.AdaptiveAvgPool2d(1)",
        new="nn.AdaptiveMaxPool2d(1)",
        catches=(
            'replace_head: global average pool + linear',
        ),
        says=('global MAX pooling',),
    ),
    Mutant(
        name="replace_head_hardcodes_64_features",  # right for the transfer base only
        old="nn.Flatten(), nn.Linear(n_features, n_out))",
        new="nn.Flatten(), nn.Linear(64, n_out))",
        catches=(
            'replace_head: global average pool + linear',
        ),
        says=('hard-coded 64',),
    ),
    Mutant(
        name="replace_head_sigmoid_on_binary_output",  # a probability, not a logit
        old="    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))",
        new=("    head = [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out)]\n"
             "    if n_out == 1:\n"
             "        head.append(nn.Sigmoid())\n"
             "    return nn.Sequential(base, *head)"),
        catches=(
            'replace_head: global average pool + linear',
            'replace_head: head-only accuracy (5 vs 9)',
            'unfreeze_from: fine-tuned accuracy (5 vs 9)',
        ),
        says=('softmax or sigmoid',),
    ),
    Mutant(
        name="replace_head_softmax_output",  # probabilities, not logits: cross-entropy applies its own softmax
        old="nn.Flatten(), nn.Linear(n_features, n_out))",
        new="nn.Flatten(), nn.Linear(n_features, n_out), nn.Softmax(dim=1))",
        # five softmax outputs still train a usable classifier (about 0.89 / 0.97 against the
        # reference's 0.90 / 0.98 over the secret draws): too close for the 5-class bounds
        catches=(
            'replace_head: global average pool + linear',
            'replace_head: head-only accuracy (5 vs 9)',
            'unfreeze_from: fine-tuned accuracy (5 vs 9)',
        ),
        says=('softmax or sigmoid',),
    ),
    Mutant(
        name="replace_head_without_pooling",  # flattens the (C, H, W) maps: wrong input size
        old="nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))",
        new="nn.Sequential(base, nn.Flatten(), nn.Linear(n_features, n_out))",
        catches=(
            'replace_head: global average pool + linear',
            'replace_head: one output for two classes',
            'replace_head: head-only accuracy (5 classes)',
            'unfreeze_from: fine-tuned accuracy (5 classes)',
            'replace_head: head-only accuracy (5 vs 9)',
            'unfreeze_from: fine-tuned accuracy (5 vs 9)',
        ),
        says=('no pooling',),
    ),
]

# Not seen by the reference-level probes of probes/transfer_torch.py (a copy of the
# base computes the same outputs); what it breaks is fine-tuning through unfreeze_from(base).
SLOW_MUTANTS = [
    Mutant(
        name="replace_head_deep_copies_the_base",
        old="    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1)",
        new="    import copy\n\n    return nn.Sequential(copy.deepcopy(base), nn.AdaptiveAvgPool2d(1)",
        # on 5 vs 9 the head alone, trained on, comes within the bound over the secret draws
        catches=(
            'replace_head: uses the given base, not a copy',
            'unfreeze_from: fine-tuned accuracy (5 classes)',
        ),
        says=('copy.deepcopy',),
    ),
]

UNUSUAL = [
    Mutant(
        name="freeze_with_the_module_method",  # nn.Module.requires_grad_ recurses itself
        old="    for p in module.parameters():\n        p.requires_grad_(False)\n",
        new="    module.requires_grad_(False)\n",
    ),
    Mutant(
        name="replace_head_on_the_base_layers",  # the base's children, unpacked: the same modules
        old="nn.Sequential(base, nn.AdaptiveAvgPool2d(1)",
        new="nn.Sequential(*base.children(), nn.AdaptiveAvgPool2d(1)",
    ),
    Mutant(
        name="freeze_by_overriding_train",  # a per-layer train() that always selects eval mode
        old=_span(_FREEZE_BN, _RELEASE_BN),
        new='''    import types

    for m in module.modules():
        if isinstance(m, _BATCHNORMS):
            m.eval()
            m.train = types.MethodType(_train_frozen, m)  # model.train() cannot switch it back
    return module
    ### END SOLUTION


def _train_frozen(self, mode=True):
    return nn.Module.train(self, False)


def unfreeze_from(model, index):
    ### BEGIN SOLUTION
    children = list(model.children())
    for i, child in enumerate(children):
        if i < index:
            freeze(child)
            continue
        for p in child.parameters():
            p.requires_grad_(True)
        for m in child.modules():
            m.__dict__.pop("train", None)  # nn.Module.train again
''',
    ),
    Mutant(
        name="unfreeze_from_keeps_batchnorm_in_eval",  # Keras' advice for fine-tuning
        old=_RELEASE_BN,
        new="",
    ),
    Mutant(
        name="count_params_dedup_by_id_loop",
        old="    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
        new=("    seen, total = set(), 0\n"
             "    for _, module in model.named_modules():\n"
             "        for p in module.parameters(recurse=False):\n"
             "            if id(p) in seen or (trainable_only and not p.requires_grad):\n"
             "                continue\n"
             "            seen.add(id(p))\n"
             "            total += p.numel()\n"
             "    return total"),
    ),
    Mutant(
        name="replace_head_custom_module_with_mean",
        old=("    n_out = 1 if n_classes == 2 else n_classes\n"
             "    return nn.Sequential(base, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(n_features, n_out))"),
        new='''    class Transfer(nn.Module):
        def __init__(self):
            super().__init__()
            self.base = base
            self.fc = nn.Linear(n_features, 1 if n_classes == 2 else n_classes)

        def forward(self, x):
            return self.fc(self.base(x).mean(dim=(2, 3)))  # global average pooling by hand

    return Transfer()''',
    ),
]
