"""Realistic buggy (MUTANTS) and correct-but-unusual (UNUSUAL) submissions of `gan_torch`.

Each one is an exact text edit of `reference/torch/gan_torch.py`. `catches` names the checks
of the grader that fail on it (filled by `python -m tests.mutants.survey gan_torch --write`,
then reviewed); `says`, words the first one's feedback contains.
`tests/mutants/probes/gan_torch.py` (run by test_mutant_probes.py) shows that every MUTANT changes some contract
output (value, gradient, shape, parameters after two train_step calls, or raising) and
every UNUSUAL one matches the reference to 1e-10.

Notes for the checks:
- `train_step_without_detach` raises on the generator's backward ("Trying to backward
  through the graph a second time"): the D step's backward freed G's graph. The variant
  that keeps the graph (`retain_graph=True`) and zeroes both optimizers up front instead
  runs, but leaks the D loss's gradient into G's update.
- `generator_ignores_z` is the mode-collapse case: every sample is the same image, so the
  digit classifier finds one class at most (the trained check's bound is several).
"""

from graders.engine.mutants import Mutant

# The checks (graders/assignments/gan_torch/checks.py), by the names the catches use.
MODELS = "Generator/Discriminator: shapes, samples in [0,1], logits (N,)"
D_CLOSED_FORM = "discriminator_loss: closed form on given logits"
D_FINITE = "discriminator_loss: finite at |logit| = 100"
G_LOSS = "generator_loss: non-saturating (BCE-with-logits(fake, 1)), closed form, finite at |logit| = 100"
D_STEP_KEEPS_G = "train_step: the discriminator step leaves the generator unchanged"
G_STEP_KEEPS_D = "train_step: the generator step leaves the discriminator unchanged"
MATCHES_CONTRACT = "train_step: gradients zeroed every step (two steps match the contract)"
REACHES_G = "train_step: the generator step reaches the generator"
RETURNS = "train_step: returns (d_loss, g_loss)"
TRAINED = "GAN: samples cover at least k digit classes confidently (threshold)"
# train_step raising (no detach, an early opt_G.step()) fails every train_step check
_ALL_STEP_CHECKS = (D_STEP_KEEPS_G, G_STEP_KEEPS_D, MATCHES_CONTRACT, REACHES_G, RETURNS)

_D_STEP = "    d_loss = discriminator_loss(D(real), D(fake.detach()))\n"
_G_STEP = "\n    g_loss = generator_loss(D(fake))\n"
_REAL = "real_term = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))"
_FAKE = "fake_term = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))"
_GEN = "return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))"
_DISCRIMINATOR = """        self.net = nn.Sequential(
            nn.Linear(n_in, n_hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(n_hidden, 1),
        )
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        # TODO: one logit per sample, shape (N,) (squeeze the last axis of (N, 1)).
        return self.net(x).squeeze(-1)
"""
# A tutorial's discriminator: class-based layers with dropout (random masks in every forward).
_DROPOUT_DISCRIMINATOR = """        self.fc1 = nn.Linear(n_in, n_hidden)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(n_hidden, 1)

    def forward(self, x):
        h = self.drop(F.leaky_relu(self.fc1(x), 0.2))
        return self.fc2(h).squeeze(-1)
"""
_BODY = """    fake = G(z)
    opt_D.zero_grad()
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    opt_G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
"""

_DCGAN_BODY = """    D.zero_grad()
    real_logits = D(real)
    fake = G(z)
    d_loss = discriminator_loss(real_logits, D(fake.detach()))
    d_loss.backward()
    opt_D.step()
    G.zero_grad()
    g_loss = generator_loss(D(fake))
    g_loss.backward()
    opt_G.step()
"""

MUTANTS = [
    # Generator / Discriminator
    Mutant("generator_without_sigmoid",
           "            nn.Linear(n_hidden, n_out),\n            nn.Sigmoid(),\n",
           "            nn.Linear(n_hidden, n_out),\n",
           catches=(MODELS,), says=('no sigmoid',)),
    Mutant("generator_ignores_z", "return self.net(z)", "return self.net(torch.zeros_like(z))",
           catches=(MODELS,), says=('ignores its input',)),
    Mutant("discriminator_logits_not_squeezed", "return self.net(x).squeeze(-1)", "return self.net(x)",
           catches=(MODELS,), says=('not squeezed',)),
    Mutant("discriminator_applies_sigmoid", "return self.net(x).squeeze(-1)",
           "return torch.sigmoid(self.net(x)).squeeze(-1)",
           catches=(MODELS,), says=('not logits',)),
    # discriminator_loss
    Mutant("discriminator_loss_labels_swapped",
           _REAL + "\n    " + _FAKE,
           "real_term = F.binary_cross_entropy_with_logits(real_logits, torch.zeros_like(real_logits))\n"
           "    fake_term = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))",
           catches=(D_CLOSED_FORM, D_FINITE), says=('labels are swapped',)),
    Mutant("discriminator_loss_averaged_not_summed", "return real_term + fake_term",
           "return 0.5 * (real_term + fake_term)",
           catches=(D_CLOSED_FORM, D_FINITE), says=('averaged',)),
    Mutant("discriminator_loss_one_mean_over_the_concatenated_batch",
           "return real_term + fake_term",
           "return F.binary_cross_entropy_with_logits(\n"
           "        torch.cat([real_logits, fake_logits]),\n"
           "        torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)]))",
           catches=(D_CLOSED_FORM, D_FINITE), says=('one mean over the 5 real and 3 fake',)),
    Mutant("discriminator_loss_naive_log_sigmoid", "return real_term + fake_term",
           "return (-torch.log(torch.sigmoid(real_logits)).mean()\n"
           "            - torch.log(1.0 - torch.sigmoid(fake_logits)).mean())",
           catches=(D_FINITE,), says=('not finite',)),
    # generator_loss
    Mutant("generator_loss_saturating", _GEN,
           "return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))",
           catches=(G_LOSS,), says=('saturating loss',)),
    Mutant("generator_loss_target_zero", _GEN,
           "return F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))",
           catches=(G_LOSS,), says=('target 0',)),
    Mutant("generator_loss_naive_log_sigmoid", _GEN,
           "return -torch.log(torch.sigmoid(fake_logits)).mean()",
           catches=(G_LOSS,), says=('not finite',)),
    Mutant("generator_loss_log_with_eps", _GEN,
           "return -torch.log(torch.sigmoid(fake_logits) + 1e-8).mean()",
           catches=(G_LOSS,), says=('eps is added inside the log',)),
    # train_step
    Mutant("train_step_without_detach", _D_STEP,
           "    d_loss = discriminator_loss(D(real), D(fake))\n",
           catches=_ALL_STEP_CHECKS, says=('was not detached',)),
    Mutant("train_step_without_detach_retaining_the_graph", _BODY,
           "    opt_D.zero_grad()\n    opt_G.zero_grad()\n    fake = G(z)\n"
           "    d_loss = discriminator_loss(D(real), D(fake))\n"
           "    d_loss.backward(retain_graph=True)\n    opt_D.step()\n"
           "    g_loss = generator_loss(D(fake))\n    g_loss.backward()\n    opt_G.step()\n",
           catches=(MATCHES_CONTRACT, RETURNS), says=("zeroed before the discriminator step's backward",)),
    Mutant("train_step_never_zeroes_d_grads", "    opt_D.zero_grad()\n", "",
           catches=(MATCHES_CONTRACT, RETURNS), says=('opt_D.zero_grad() is never called',)),
    Mutant("train_step_never_zeroes_g_grads", "    opt_G.zero_grad()\n", "",
           catches=(MATCHES_CONTRACT,), says=('opt_G.zero_grad() is never called',)),
    Mutant("train_step_d_step_steps_opt_G",
           "    d_loss.backward()\n    opt_D.step()\n", "    d_loss.backward()\n    opt_G.step()\n",
           catches=_ALL_STEP_CHECKS, says=('opt_G.step() is called in the discriminator step',)),
    Mutant("train_step_g_step_also_steps_opt_D",
           "    g_loss.backward()\n    opt_G.step()\n",
           "    g_loss.backward()\n    opt_G.step()\n    opt_D.step()\n",
           catches=(G_STEP_KEEPS_D, MATCHES_CONTRACT, RETURNS), says=('opt_D.step() is called again',)),
    Mutant("train_step_g_step_on_detached_fake", _G_STEP,
           "\n    g_loss = generator_loss(D(fake.detach()))\n",
           catches=(REACHES_G, MATCHES_CONTRACT, RETURNS), says=('D(fake.detach())',)),
    Mutant("train_step_draws_its_own_noise", "    fake = G(z)\n", "    fake = G(torch.randn_like(z))\n",
           catches=(MATCHES_CONTRACT, RETURNS), says=('noise other than the z given',)),
    Mutant("train_step_generator_step_first", _BODY,
           "    fake = G(z)\n    opt_G.zero_grad()\n    g_loss = generator_loss(D(fake))\n"
           "    g_loss.backward()\n    opt_G.step()\n    opt_D.zero_grad()\n"
           "    d_loss = discriminator_loss(D(real), D(fake.detach()))\n"
           "    d_loss.backward()\n    opt_D.step()\n",
           catches=(D_STEP_KEEPS_G, MATCHES_CONTRACT, RETURNS), says=('generator step comes first',)),
    Mutant("train_step_dropout_discriminator_module_zero_grad_of_g_only",
           _BODY, _DCGAN_BODY.replace("    D.zero_grad()\n", ""),
           more=((_DISCRIMINATOR, _DROPOUT_DISCRIMINATOR),),
           catches=(MATCHES_CONTRACT, RETURNS), says=("opt_D.zero_grad() (or D.zero_grad())",)),
    Mutant("train_step_returns_the_losses_swapped", "return d_loss.item(), g_loss.item()",
           "return g_loss.item(), d_loss.item()",
           catches=(RETURNS,), says=('wrong order',)),
]

UNUSUAL = [
    Mutant("generator_explicit_layers",
           "        self.net = nn.Sequential(\n"
           "            nn.Linear(n_latent, n_hidden),\n"
           "            nn.LeakyReLU(0.2),\n"
           "            nn.Linear(n_hidden, n_hidden),\n"
           "            nn.LeakyReLU(0.2),\n"
           "            nn.Linear(n_hidden, n_out),\n"
           "            nn.Sigmoid(),\n"
           "        )\n"
           "        ### END SOLUTION\n"
           "\n"
           "    def forward(self, z):\n"
           "        ### BEGIN SOLUTION\n"
           "        # TODO: map z to pixels in [0, 1].\n"
           "        return self.net(z)\n",
           "        self.fc1 = nn.Linear(n_latent, n_hidden)\n"
           "        self.fc2 = nn.Linear(n_hidden, n_hidden)\n"
           "        self.fc3 = nn.Linear(n_hidden, n_out)\n"
           "\n"
           "    def forward(self, z):\n"
           "        h = F.leaky_relu(self.fc1(z), 0.2)\n"
           "        h = F.leaky_relu(self.fc2(h), 0.2)\n"
           "        return torch.sigmoid(self.fc3(h))\n"),
    Mutant("discriminator_view_minus_one", "return self.net(x).squeeze(-1)", "return self.net(x).view(-1)"),
    Mutant("discriminator_loss_softplus", "return real_term + fake_term",
           "return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()"),
    Mutant("discriminator_loss_stable_by_hand", "return real_term + fake_term",
           "def bce(logits, target):  # max(l, 0) - l y + log(1 + exp(-|l|))\n"
           "        return (logits.clamp(min=0) - logits * target\n"
           "                + torch.log1p(torch.exp(-logits.abs()))).mean()\n"
           "    return bce(real_logits, 1.0) + bce(fake_logits, 0.0)"),
    Mutant("discriminator_loss_bce_module",
           _REAL, "real_term = nn.BCEWithLogitsLoss()(real_logits, torch.ones_like(real_logits))"),
    Mutant("generator_loss_softplus", _GEN, "return F.softplus(-fake_logits).mean()"),
    Mutant("generator_loss_logsigmoid", _GEN, "return -F.logsigmoid(fake_logits).mean()"),
    Mutant("train_step_regenerates_fake_for_g", _G_STEP,
           "\n    g_loss = generator_loss(D(G(z)))\n"),
    Mutant("train_step_module_zero_grad", _BODY,
           _BODY.replace("opt_D.zero_grad()", "D.zero_grad()").replace("opt_G.zero_grad()", "G.zero_grad()")),
    Mutant("train_step_zero_grad_to_zeros_not_none", _BODY,
           _BODY.replace("zero_grad()", "zero_grad(set_to_none=False)")),
    # PyTorch's DCGAN example: the real batch through D first, then G(z), gradients zeroed
    # through the modules; the tutorial's discriminator has dropout.
    Mutant("train_step_dcgan_order_module_zero_grad_dropout_discriminator",
           _BODY, _DCGAN_BODY, more=((_DISCRIMINATOR, _DROPOUT_DISCRIMINATOR),)),
    Mutant("train_step_no_grad_fake_for_d", _BODY,
           "    with torch.no_grad():\n        fake_for_d = G(z)\n"
           "    opt_D.zero_grad()\n"
           "    d_loss = discriminator_loss(D(real), D(fake_for_d))\n"
           "    d_loss.backward()\n    opt_D.step()\n    opt_G.zero_grad()\n"
           "    g_loss = generator_loss(D(G(z)))\n    g_loss.backward()\n    opt_G.step()\n"),
    Mutant("train_step_one_d_call_on_the_concatenated_batch", _D_STEP,
           "    logits = D(torch.cat([real, fake.detach()]))\n"
           "    d_loss = discriminator_loss(logits[:len(real)], logits[len(real):])\n"),
]

# Slips that only training shows (graded with the trained check: run with -m slow). A linear
# discriminator ends with no sample recognised at the grade seed; a generator without its
# hidden activations still covers 6 classes (fraction 0.41) and passes.
SLOW_MUTANTS = [
    Mutant("discriminator_without_hidden_activation",
           "            nn.Linear(n_in, n_hidden),\n            nn.LeakyReLU(0.2),\n"
           "            nn.Linear(n_hidden, 1),\n",
           "            nn.Linear(n_in, n_hidden),\n            nn.Linear(n_hidden, 1),\n",
           catches=(TRAINED,)),
]

# Correct but unusual submissions beyond the default run's two (each is a full grade with a
# GAN training of 11-16 s CPU; run with -m slow).
_FAST_UNUSUAL = ("generator_loss_softplus", "train_step_no_grad_fake_for_d")
SLOW_UNUSUAL = [m for m in UNUSUAL if m.name not in _FAST_UNUSUAL]
UNUSUAL = [m for m in UNUSUAL if m.name in _FAST_UNUSUAL]
