"""What Schemathesis found the schema did not say (issue 15): answers the API gives, and
bounds it holds a request to, that a client reading /api/schema/ could not have known."""

import pytest

from governance.models import MatrixVersion, Risk

pytestmark = pytest.mark.django_db


def _schema(client) -> dict:
    return client.get("/api/schema/", {"format": "json"}).json()


@pytest.mark.parametrize("content_type", ["", "text/plain"])
def test_a_body_in_no_media_type_the_api_reads_is_a_json_415_the_schema_documents(client, admin_user, content_type):
    client.force_login(admin_user)

    response = client.generic("POST", "/api/v1/risks/", b"0", content_type=content_type)

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert "media type" in response.json()["detail"]
    assert not Risk.objects.exists()
    operations = [op for ops in _schema(client)["paths"].values() for op in ops.values() if "requestBody" in op]
    assert operations
    for operation in operations:
        assert operation["responses"]["415"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }, operation["operationId"]


def test_the_schema_bounds_the_idempotency_key_as_the_api_does(client, admin_user):
    client.force_login(admin_user)
    keys = [
        p
        for ops in _schema(client)["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
        if p["name"] == "Idempotency-Key"
    ]
    assert keys
    assert all(p["schema"] == {"type": "string", "minLength": 1, "maxLength": 255} for p in keys)

    def create(key):
        return client.post("/api/v1/matrix-versions/", "{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)

    assert create("").status_code == 400
    assert create("k" * 256).status_code == 400
    assert not MatrixVersion.objects.exists()
    assert create("k" * 255).status_code == 201
