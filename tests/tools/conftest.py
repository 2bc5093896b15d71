from __future__ import annotations

import pytest
from starlette.applications import Starlette
from support import ERAS, Emulator, Era


@pytest.fixture
def emulator(sandbox_app: Starlette) -> Emulator:
    return Emulator(sandbox_app)


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> Era:
    value: Era = request.param
    return value
