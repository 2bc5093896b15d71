"""The confirmation guard: no number is unrented without a person's informed yes.

- `preview`: what a person is shown, built only from a complete reading (fails closed)
- `asking`: the forms (elicit mode), and one attempt per answer and caller
- `tokens`: signed, expiring, single-use, caller-bound tokens (token mode)
- `confirm`: the decision, recorded in the audit log
- `unrent`: unrenting exactly the previewed numbers, one by one
"""

from .asking import Answer as Answer
from .asking import AnswerBook, ConfirmByName, ConfirmByNumber, NotAsked, can_elicit
from .asking import NumberAnswer as NumberAnswer
from .confirm import Approval, Guard, Outcome, Unconfirmed
from .preview import HOLD_DAYS, Preview, e164
from .tokens import TokenRefused, TokenSigner
from .unrent import UnrentReport, approved_unrent, unrent_exactly

__all__ = [
    "HOLD_DAYS",
    "Answer",
    "AnswerBook",
    "Approval",
    "ConfirmByName",
    "ConfirmByNumber",
    "Guard",
    "NotAsked",
    "NumberAnswer",
    "Outcome",
    "Preview",
    "TokenRefused",
    "TokenSigner",
    "Unconfirmed",
    "UnrentReport",
    "approved_unrent",
    "can_elicit",
    "e164",
    "unrent_exactly",
]
