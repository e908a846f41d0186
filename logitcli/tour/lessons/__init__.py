"""The tour's lessons, one module each: logits, sigmoid, softmax, nll, xent, gradients,
calibration.

Each lesson has `SECTION` (its name for `--section`), `article_section(w)` (the article's own numbers) and
`your_section(w, batch, targets, top_k)` (the same lesson on the user's numbers).
`tour.build.LESSONS` orders them.
"""
