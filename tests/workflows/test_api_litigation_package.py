"""``GET /api/cases/{id}/litigation-package/``: the zip as an attachment, legal officers and
managers only, a case the user may not see a 404."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.cache import cache

from cases.models import Stage
from legal_docs.package import package_verify
from tests.workflows.test_api import World, api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    return World()


def url(case) -> str:
    return f"/api/cases/{case.pk}/litigation-package/"


@pytest.mark.parametrize("role", ["legal", "manager"])
def test_legal_officers_and_managers_download_the_zip(world, role):
    case = world.case(stage=Stage.LITIGATION)
    response = api(getattr(world, role)).get(url(case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"litigation-package-CS-{case.pk:06d}.zip" in response["Content-Disposition"]
    assert response["X-Evidence-Chain"] == "verified"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert package_verify(content).ok
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("manifest.json"))
    assert manifest["case"]["id"] == case.pk
    # The same state, the same bytes.
    assert api(world.legal).get(url(case)).content == content


def test_a_collector_on_the_case_is_forbidden_and_another_gets_a_404(world):
    case = world.case(stage=Stage.LITIGATION)
    forbidden = api(world.collector).get(url(case))
    assert forbidden.status_code == 403
    assert "legal officers and managers" in forbidden.json()["detail"]
    assert api(world.other_collector).get(url(case)).status_code == 404
    assert api(world.finance).get(url(case)).status_code == 403
    assert api().get(url(case)).status_code in (401, 403)


def test_an_unknown_case_is_a_404(world):
    assert api(world.legal).get("/api/cases/999999/litigation-package/").status_code == 404
