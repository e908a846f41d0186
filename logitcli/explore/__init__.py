"""`logitcli explore`: move a logit and watch softmax, loss and gradient answer, live in the terminal.

`state` holds the numbers (one immutable State per keypress, computed by the step functions), `moments`
finds the line that says what just happened, `screen` lays a State out as text for a width, `app` is the
Textual app that shows it, `terminal` finds the keyboard when stdin is a pipe, and `flow` reads the input,
runs the app and writes the final state as JSON. Only `app` and `flow` import Textual, and only `explore`
imports this package: no other command pays for Textual.
"""
