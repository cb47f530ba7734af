def test_me(tenant_a_admin):
    response = tenant_a_admin.client().get("/api/v1/me/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["login"] == "admin"
    assert body["tenant"] == "alpha"
    assert body["roles"] == ["admin"]
