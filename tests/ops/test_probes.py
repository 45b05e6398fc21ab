def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_on_a_migrated_database(client):
    assert client.get("/readyz").json() == {"status": "ready"}
