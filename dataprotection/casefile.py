"""The data-protection app's part of the case file: none of its rows are the person's story,
but those that belong to a case are listed so that the case history finds them."""

from __future__ import annotations

from dataprotection import models as m
from victimsupport.casefile import Contributor


def contribute(case: object) -> tuple[list, list]:
    return [], []


CONTRIBUTOR = Contributor(
    name="dataprotection",
    contribute=contribute,
    models={},
    technical={
        # A request names the cases it concerns: the DPO's record of the request, not the file.
        m.RequestCase: "case",
        # A legal hold keeps the case past its retention: a record of the DPO's decision.
        m.LegalHold: "case",
        # An erasure due or refused: the DPO's working record (kept without the case after).
        m.Erasure: "case",
        # That the person was told of a breach, and by which channel.
        m.BreachNotice: "case",
    },
)
