"""The seed article's data, in one place, exactly as it prints it.

Source: "Understanding Logits, Sigmoid, Softmax, and Cross-Entropy Loss in Deep Learning" (a W&B report;
Japanese translation in the project's `seed/article-ja.txt`, English summary with true figures in
`ARTICLE.md`). These are the article's inputs and its printed outputs; the true outputs are never stored
here: logitcli computes them with `logitcli.steps`. The printed outputs are kept only so a reader can see
where the article's figures differ from the true ones.
"""

from __future__ import annotations

import numpy as np

#: Sigmoid section: `timm.create_model('resnet18', num_classes=1)` on `torch.randn(1, 3, 224, 224)`.
SIGMOID_LOGIT = np.array([[-0.1522]])
#: What the article prints for `torch.sigmoid` of that logit.
SIGMOID_PRINTED = 0.4620

#: Softmax section: the five-class question and the logits of a random-init resnet18 with 5 outputs.
SOFTMAX_CLASSES = ["horse", "ball", "fish", "car", "stick"]
SOFTMAX_LOGITS = np.array([[-0.2135, -0.0248, 3.985, -4.235, -0.1831]])
#: The article's hand-worked exps, their sum and its printed softmax (these differ from the true values).
SOFTMAX_PRINTED_EXPS = np.array([0.8073, 0.9754, 53.7032, 0.0144, 0.8327])
SOFTMAX_PRINTED_SUM = 56.3330
SOFTMAX_PRINTED = np.array([0.0096, 0.0117, 0.9765, 0.0002, 0.0020])
#: The article's own printed exps divided by its own printed sum, to 4 decimals (from ARTICLE.md; a test
#: recomputes it): it matches the true softmax, not the printed one, so the printed one came from elsewhere.
SOFTMAX_PRINTED_EXPS_OVER_SUM = np.array([0.0143, 0.0173, 0.9533, 0.0003, 0.0148])

#: "Softmax wants to pick one": logits, and the exps and softmax as the article rounds them.
PICK_ONE_LOGITS = np.array([[0.02, -2.49, 1.25]])
PICK_ONE_PRINTED_EXPS = np.array([1.02, 0.08, 3.49])
PICK_ONE_PRINTED = np.array([0.22, 0.02, 0.76])

#: Temperatures the tour compares (not in the article: logitcli's addition).
TEMPERATURES = (0.5, 1.0, 2.0)

#: The bear example (negative log-likelihood and cross-entropy sections).
BEAR_CLASSES = ["Grizzly", "Brown", "Teddy"]
BEAR_TARGETS = np.array([1, 0, 2, 0, 2])
BEAR_LOGITS = np.array(
    [
        [0.1752, 0.0539, -0.0581],
        [0.0544, 0.0642, 0.0782],
        [0.3230, 0.0958, 0.1941],
        [0.1143, -0.0508, 0.0701],
        [0.1249, 0.0510, 0.1147],
    ]
)
#: `-outputs[idxs, targets]` and `F.nll_loss(softmax, targets)` as printed (the last is a rounding edge).
BEAR_NLL_PRINTED = np.array([-0.3308, -0.3296, -0.3285, -0.3566, -0.3391])
#: `F.nll_loss(torch.log(torch.softmax(logits, dim=1)), targets, reduction='none')` as printed.
BEAR_XENT_PRINTED = np.array([1.1062, 1.1099, 1.1132, 1.0312, 1.0813])

#: Not in the article: one logit of 1000, where log(softmax(x)) breaks and log_softmax does not.
HUGE_LOGITS = np.array([[1000.0, 0.0, -1000.0]])
HUGE_TARGETS = np.array([1])

#: Not in the article, for the gradient section: a confident model (the same logits twice), once right and once
#: wrong; the learning rate of the one descent step shown; where the sigmoid's derivative is read off; and a
#: confidently wrong logit for binary cross-entropy (x = -10 for a true 1).
CONFIDENT_LOGITS = np.array([[4.0, 0.0, 0.0], [4.0, 0.0, 0.0]])
CONFIDENT_TARGETS = np.array([0, 1])
DESCENT_LR = 1.0
SLOPE_POINTS = np.array([[0.0, 2.0, 5.0, 10.0]])
WRONG_LOGIT = np.array([[-10.0]])
WRONG_LABEL = np.array([[1.0]])
