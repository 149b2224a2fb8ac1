"""Workshops in the store: codes, joining, one vote per item, agreeing levels, notes, and 60 voters at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from checklist import disclosure, store, workshops
from checklist.framework import current_framework
from checklist.workshops import VoteRefused, WorkshopCodeError
from tests.conftest import ACTOR

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def live(draft):
    db, aid = draft
    return db, aid, workshops.start_workshop(db, aid, ACTOR, now=T0)


def test_a_live_workshop_opens_on_the_first_item_with_a_readable_code(live, fw):
    db, aid, w = live
    assert len(w["code"]) == workshops.CODE_LENGTH and set(w["code"]) <= set(workshops.CODE_ALPHABET)
    assert w["current_item"] == fw.items_for(False)[0].id and w["status"] == "open" and not w["revealed"]
    assert workshops.workshop_by_code(db, w["code"].lower()[:3] + " " + w["code"].lower()[3:], now=T0)["id"] == w["id"]
    assert store.history(db, aid)["entity"].tolist()[-1] == "workshop"


def test_wrong_closed_and_expired_codes_say_what_is_wrong(live):
    db, _, w = live
    with pytest.raises(WorkshopCodeError, match="not a workshop code; expected the 6 letters"):
        workshops.join(db, "AB", "health")
    with pytest.raises(WorkshopCodeError, match="no workshop has the code ZZZZZZ"):
        workshops.join(db, "zzzzzz", "health", now=T0)
    later = T0 + workshops.LIFETIME[workshops.LIVE] + timedelta(minutes=1)
    with pytest.raises(WorkshopCodeError, match=f"workshop {w['code']} expired"):
        workshops.join(db, w["code"], "health", now=later)
    voter = workshops.join(db, w["code"], "health", "Asha", now=T0)
    workshops.close_workshop(db, w["id"], ACTOR, now=T0)
    with pytest.raises(WorkshopCodeError, match="closed by its facilitator"):
        workshops.join(db, w["code"], "sport", now=T0)
    with pytest.raises(WorkshopCodeError, match="closed by its facilitator"):
        workshops.cast_vote(db, voter["token"], w["current_item"], 2, now=T0)
    # Closing is reversible: the same code works again.
    assert workshops.reopen_workshop(db, w["id"], ACTOR, now=T0) == w["code"]
    assert workshops.cast_vote(db, voter["token"], w["current_item"], 2, now=T0)["level"] == 2


def test_joining_checks_sector_and_name(live):
    db, _, w = live
    with pytest.raises(store.StoreError, match="sector 'nurses' is not one of: Health and care"):
        workshops.join(db, w["code"], "nurses", now=T0)
    with pytest.raises(store.StoreError, match="expected at most 60"):
        workshops.join(db, w["code"], "health", "x" * 61, now=T0)
    assert workshops.participant_count(db, w["id"]) == 0


def test_voting_again_replaces_the_vote_and_history_says_who(live):
    db, aid, w = live
    item = w["current_item"]
    voter = workshops.join(db, w["code"], "lived_experience", "Sam", now=T0)
    assert not workshops.cast_vote(db, voter["token"], item, 1, now=T0)["replaced"]
    assert workshops.cast_vote(db, voter["token"], item, None, now=T0)["replaced"]
    t = workshops.item_tally(db, w["id"], item)
    assert (t.votes, t.dont_know) == (1, 1)
    assert workshops.my_votes(db, voter["token"]) == {item: None}
    votes = store.history(db, aid).query("entity == 'vote'")
    assert votes["actor"].tolist() == [f"participant {voter['id']} (Lived experience (disabled person or carer))"] * 2
    assert votes["new_value"].tolist() == [1, "dont_know"]


def test_votes_are_refused_for_other_items_levels_and_unknown_links(live, fw):
    db, _, w = live
    voter = workshops.join(db, w["code"], "health", now=T0)
    second = fw.items_for(False)[1].id
    with pytest.raises(VoteRefused, match="moved on to another item"):
        workshops.cast_vote(db, voter["token"], second, 2, now=T0)
    with pytest.raises(VoteRefused, match="unknown item id 'nope'"):
        workshops.cast_vote(db, voter["token"], "nope", 2, now=T0)
    with pytest.raises(VoteRefused, match="level 5 is out of range"):
        workshops.cast_vote(db, voter["token"], w["current_item"], 5, now=T0)
    with pytest.raises(WorkshopCodeError, match="link is not recognised"):
        workshops.cast_vote(db, "forged", w["current_item"], 2, now=T0)
    assert workshops.item_tally(db, w["id"], w["current_item"]).votes == 0


def test_moving_on_hides_results_and_restarts_the_timer(live, fw):
    db, _, w = live
    workshops.set_revealed(db, w["id"], True, ACTOR)
    assert workshops.get_workshop(db, w["id"])["revealed"]
    later = T0 + timedelta(minutes=4)
    workshops.set_current_item(db, w["id"], fw.items_for(False)[2].id, ACTOR, now=later)
    moved = workshops.get_workshop(db, w["id"])
    assert moved["current_item"] == fw.items_for(False)[2].id
    assert not moved["revealed"] and moved["item_started_at"] == later.isoformat(timespec="microseconds")
    with pytest.raises(store.StoreError, match="unknown item id 'wf-x'"):
        workshops.set_current_item(db, w["id"], "wf-x", ACTOR)


def test_the_agreed_level_becomes_the_answer_with_the_votes_as_evidence(live):
    db, aid, w = live
    item = w["current_item"]
    store.save_response(db, aid, item, ACTOR, evidence="Board minutes, March.")
    for sector, level in [("health", 3), ("health", 3), ("lived_experience", 1), ("sport", 2)]:
        workshops.cast_vote(db, workshops.join(db, w["code"], sector, now=T0)["token"], item, level, now=T0)
    notes = "Health saw the board papers; others had not."
    workshops.record_agreement(db, w["id"], item, ACTOR, 2, notes=notes, now=T0)
    saved = store.responses(db, aid)[item]
    assert (saved["answer"], saved["level"]) == ("level", 2)
    assert saved["evidence"].startswith("Board minutes, March.\n[Workshop ")
    room = "Room: 4 votes; levels 1–3 (Emerging to Maturing), median 2.5 (between Developing and Maturing); split."
    assert "Agreed 2 · Developing. " + room in saved["evidence"]
    agreed = workshops.agreements(db, w["id"])[item]
    assert (agreed["votes"], agreed["low"], agreed["high"]) == (4, 1, 3)
    # Agreeing again replaces this workshop's line rather than piling up lines.
    workshops.record_agreement(db, w["id"], item, ACTOR, 3, now=T0)
    evidence = store.responses(db, aid)[item]["evidence"]
    assert evidence.count("[Workshop ") == 1 and "Agreed 3 · Maturing" in evidence
    assert workshops.item_tally(db, w["id"], item).votes == 4  # the votes are kept


def test_a_bad_agreement_changes_nothing(live):
    db, aid, w = live
    version = store.data_version(db)
    with pytest.raises(store.StoreError, match="agreed level 7 is out of range"):
        workshops.record_agreement(db, w["id"], w["current_item"], ACTOR, 7)
    with pytest.raises(store.StoreError, match="unknown item id"):
        workshops.record_agreement(db, w["id"], "nope", ACTOR, 2)
    assert store.data_version(db) == version and store.responses(db, aid) == {}


def test_a_submitted_assessment_cannot_host_a_workshop(draft):
    db, aid = draft
    for item in current_framework().items_for(False):
        store.save_response(db, aid, item.id, ACTOR, level=2)
    store.submit_assessment(db, aid, ACTOR)
    with pytest.raises(store.LockedError, match="reopen it before running a workshop"):
        workshops.start_workshop(db, aid, ACTOR)


def test_answers_collected_beforehand_seed_a_workshop_that_settles_the_agreed_items(draft, fw):
    db, aid = draft
    before = workshops.start_workshop(db, aid, ACTOR, mode=workshops.INDEPENDENT, now=T0)
    assert before["current_item"] is None
    items = [i.id for i in fw.items_for(False)]
    agreed_item, split_item = items[0], items[1]
    for sector, a, b in [("health", 2, 4), ("sport", 2, 4), ("lived_experience", 3, 0), ("vcse", 2, 0)]:
        token = workshops.join(db, before["code"], sector, now=T0)["token"]
        workshops.cast_vote(db, token, agreed_item, a, now=T0)  # any order: no current item
        workshops.cast_vote(db, token, split_item, b, now=T0)
    seeded = workshops.tallies(db, before["id"])
    assert seeded[agreed_item].status == "agreed" and seeded[split_item].status == "split"
    room = workshops.start_workshop(db, aid, ACTOR, seeded_from=before["id"], now=T0)
    assert workshops.get_workshop(db, before["id"])["status"] == "closed"  # answers beforehand stop changing
    assert workshops.accept_agreed(db, room["id"], ACTOR) == [agreed_item]
    assert store.responses(db, aid)[agreed_item]["level"] == 2
    assert split_item not in store.responses(db, aid)
    workshops.record_agreement(db, room["id"], split_item, ACTOR, 1, notes="Leisure centres vary widely.", now=T0)
    evidence = store.responses(db, aid)[split_item]["evidence"]
    assert "Room: no votes. Beforehand: 4 votes; levels 0–4" in evidence
    assert workshops.item_tally(db, before["id"], split_item).votes == 4  # individual answers kept
    with pytest.raises(store.StoreError, match="same assessment only"):
        workshops.start_workshop(db, aid, ACTOR, seeded_from=room["id"])


def test_notes_and_parking_lot_are_kept_and_removal_is_reversible(live):
    db, aid, w = live
    note = workshops.add_note(db, aid, "quote", "  'I never heard back after the referral.'  ", ACTOR,
                              item_id=w["current_item"], workshop_id=w["id"])  # fmt: skip
    parked = workshops.add_note(db, aid, "parking", "Transport to leisure centres", ACTOR, workshop_id=w["id"])
    with pytest.raises(store.StoreError, match="the note is empty"):
        workshops.add_note(db, aid, "note", "   ", ACTOR)
    with pytest.raises(store.StoreError, match="note kind 'gossip'"):
        workshops.add_note(db, aid, "gossip", "x", ACTOR)
    frame = workshops.list_notes(db, aid)
    assert frame["text"].tolist() == ["'I never heard back after the referral.'", "Transport to leisure centres"]
    workshops.set_note_deleted(db, parked, True, ACTOR)
    assert workshops.list_notes(db, aid)["id"].tolist() == [note]
    workshops.set_note_deleted(db, parked, False, ACTOR)
    assert workshops.list_notes(db, aid)["id"].tolist() == [note, parked]


def test_summary_names_agreed_levels_sector_gaps_and_dont_knows(live, fw, monkeypatch):
    monkeypatch.setenv(disclosure.MIN_GROUP_VAR, "1")  # every sector shown (folding: tests/test_disclosure.py)
    db, _, w = live
    first, second = (i.id for i in fw.items_for(False)[:2])
    sectors = ("health", "lived_experience", "vcse", "other")
    tokens = {s: workshops.join(db, w["code"], s, now=T0)["token"] for s in sectors}
    for sector, level in [("health", 4), ("lived_experience", 1), ("vcse", None), ("other", None)]:
        workshops.cast_vote(db, tokens[sector], first, level, now=T0)
    workshops.record_agreement(db, w["id"], first, ACTOR, 2, now=T0)
    workshops.set_current_item(db, w["id"], second, ACTOR)
    workshops.cast_vote(db, tokens["health"], second, 2)
    result = workshops.summary(db, w["id"])
    row = result.agreed.set_index("item_id").loc[first]
    assert (row["agreed"], row["votes"], row["range"], row["dont_know"]) == ("2 · Developing", 4, "1–4", 2)
    assert result.agreed.set_index("item_id").loc[second, "agreed"] == "Not yet agreed"
    assert [(g.item_id, g.high_sector, g.low_sector) for g in result.sector_gaps] == [
        (first, "health", "lived_experience")
    ]
    assert result.lived_experience == [(first, 4.0, 1.0)]  # everyone else rated 4 (VCSE and other did not know)
    assert [t.item_id for t in result.dont_know] == [first]  # two of four: many
    assert result.participants["votes"].tolist() == [2, 1, 1, 1]


def test_sixty_voters_on_one_item_at_once_are_each_counted_exactly_once(tmp_path, fw):
    """60 participants, each on their own connection and thread, vote on every one of 17 items as the
    facilitator moves through them; a third change their minds. Every vote is stored exactly once and
    the presenter's count equals what was sent."""
    path = tmp_path / "workshop.db"
    db = store.connect(path)
    system_id = store.create_system(db, "Load ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "2026 Q4", "2026-11-23", ACTOR)
    w = workshops.start_workshop(db, aid, ACTOR)
    sectors = list(workshops.SECTORS)
    tokens = [workshops.join(db, w["code"], sectors[n % len(sectors)], f"P{n}")["token"] for n in range(60)]
    items = [i.id for i in fw.items_for(False)]
    assert len(items) == 17
    sent: dict[str, dict[int, int | None]] = {}
    errors: list[BaseException] = []

    def level_for(n: int, k: int, final: bool) -> int | None:
        return None if (n + k) % 11 == 0 else (n * 7 + k * 3 + (0 if final else 1)) % 5

    for k, item in enumerate(items):
        workshops.set_current_item(db, w["id"], item, ACTOR)
        barrier = threading.Barrier(60)

        def vote(n: int, k: int = k, item: str = item, barrier: threading.Barrier = barrier) -> None:
            conn = store.connect(path, apply_migrations=False)
            try:
                barrier.wait()
                if n % 3 == 0:  # a change of mind: the second vote replaces the first
                    workshops.cast_vote(conn, tokens[n], item, level_for(n, k, final=False))
                workshops.cast_vote(conn, tokens[n], item, level_for(n, k, final=True))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                conn.close()

        threads = [threading.Thread(target=vote, args=(n,)) for n in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent[item] = {n: level_for(n, k, final=True) for n in range(60)}
        presenter = workshops.item_tally(db, w["id"], item)  # what the presenter's view counts
        assert presenter.votes == 60
        assert presenter.dont_know == sum(1 for v in sent[item].values() if v is None)
        assert list(presenter.counts) == [sum(1 for v in sent[item].values() if v == lvl) for lvl in range(5)]

    assert errors == []
    stored = db.execute("SELECT count(*) FROM votes WHERE workshop_id = ?", [w["id"]]).fetchone()[0]
    assert stored == 60 * 17
    distinct = db.execute("SELECT count(*) FROM (SELECT DISTINCT participant_id, item_id FROM votes)").fetchone()[0]
    assert distinct == stored
    by_token = {t: workshops.my_votes(db, t) for t in tokens}
    assert all(by_token[tokens[n]][item] == sent[item][n] for item in items for n in range(60))
    vote_history = db.execute("SELECT count(*) FROM history WHERE entity = 'vote'").fetchone()[0]
    assert vote_history == 17 * (60 + 20)  # every vote cast, first votes and changes of mind, is in history


def test_an_expired_workshop_can_be_reopened_for_a_fresh_lifetime(live):
    db, _, w = live
    later = T0 + workshops.LIFETIME[workshops.LIVE] + timedelta(hours=1)
    assert workshops.state(w, now=T0) == "open" and workshops.state(w, now=later) == "expired"
    assert workshops.reopen_workshop(db, w["id"], ACTOR, now=later) == w["code"]
    reopened = workshops.get_workshop(db, w["id"])
    assert workshops.state(reopened, now=later) == "open"
    assert workshops.join(db, w["code"], "other", now=later)["workshop"]["id"] == w["id"]


def test_a_reopened_workshop_gets_a_new_code_if_another_open_one_took_its_code(live, draft):
    db, aid, w = live
    workshops.close_workshop(db, w["id"], ACTOR)
    db.execute("UPDATE workshops SET code = ? WHERE id = ?", ["TAKEN2", w["id"]])
    other = workshops.start_workshop(db, aid, ACTOR)
    db.execute("UPDATE workshops SET code = ? WHERE id = ?", ["TAKEN2", other["id"]])
    assert workshops.reopen_workshop(db, w["id"], ACTOR) != "TAKEN2"
    assert workshops.workshop_by_code(db, "TAKEN2")["id"] == other["id"]


def test_the_collected_table_shows_only_sectors_that_answered_and_what_waits_for_the_room(draft, monkeypatch):
    monkeypatch.setenv(disclosure.MIN_GROUP_VAR, "1")  # every sector shown (folding: tests/test_disclosure.py)
    db, aid = draft
    before = workshops.start_workshop(db, aid, ACTOR, mode=workshops.INDEPENDENT, now=T0)
    for sector, level in [("health", 2), ("sport", 2), ("vcse", 3)]:
        workshops.cast_vote(
            db, workshops.join(db, before["code"], sector, now=T0)["token"], "governance", level, now=T0
        )
    table = workshops.collected_table(db, before["id"]).set_index("Item")
    assert list(table.columns[-3:]) == ["Health and care", "Sport, physical activity and leisure",
                                        "Voluntary and community (VCSE)"]  # fmt: skip
    governance = table.loc["1. Governance"]
    assert (governance["Answers"], governance["Median"], governance["Range"]) == (3, "2", "2–3")
    assert (
        governance["Agreed or split"] == "agreed"
        and table.loc["2. Shared vision", "Agreed or split"] == "no answers yet"
    )
    room = workshops.start_workshop(db, aid, ACTOR, seeded_from=before["id"], now=T0)
    assert list(workshops.agreed_beforehand(db, room["id"])) == ["governance"]
    workshops.record_agreement(db, room["id"], "governance", ACTOR, 2, now=T0)
    assert workshops.agreed_beforehand(db, room["id"]) == {}
    assert workshops.agreed_beforehand(db, before["id"]) == {}  # not a seeded workshop


def test_a_participant_who_joins_again_with_their_pass_is_the_same_participant(live, draft):
    db, aid, w = live
    first = workshops.join(db, w["code"], "health", "Asha", now=T0)
    again = workshops.join(db, w["code"].lower(), "sport", "Someone else", now=T0, token=first["token"])
    assert (again["id"], again["token"], again["sector"], again["name"]) == (first["id"], first["token"], "health",
                                                                             "Asha")  # fmt: skip
    assert workshops.participant_count(db, w["id"]) == 1
    # A pass for another workshop, or a pass nobody issued, is no help: that is a new participant.
    other = workshops.start_workshop(db, aid, ACTOR, mode=workshops.INDEPENDENT, now=T0)
    elsewhere = workshops.join(db, other["code"], "health", now=T0, token=first["token"])
    assert elsewhere["id"] != first["id"] and elsewhere["workshop"]["id"] == other["id"]
    assert workshops.join(db, w["code"], "vcse", now=T0, token="made-up")["id"] != first["id"]
    assert workshops.participant_count(db, w["id"]) == 2


def test_reopening_replaces_the_presenter_key_and_never_writes_it_in_history(live):
    db, aid, w = live
    old = workshops.presenter_key(db, w["id"])
    assert workshops.reopen_workshop(db, w["id"], ACTOR, now=T0) == w["code"]
    assert workshops.presenter_key(db, w["id"]) == old, "an open workshop is not reopened, so its key stays"
    workshops.close_workshop(db, w["id"], ACTOR, now=T0)
    workshops.reopen_workshop(db, w["id"], ACTOR, now=T0)
    new = workshops.presenter_key(db, w["id"])
    assert new and new != old
    with pytest.raises(WorkshopCodeError, match="presenter link is not valid"):
        workshops.workshop_for_presenter(db, w["id"], old)
    assert workshops.workshop_for_presenter(db, w["id"], new)["id"] == w["id"]
    written = " ".join(str(v) for row in db.execute("SELECT * FROM history").fetchall() for v in row)
    assert old not in written and new not in written


def test_each_app_server_says_who_is_in_its_rooms_and_reads_only_the_others_fresh_word(live):
    """Several app servers share one room through the database: a presenter on any server counts every phone."""
    db, _, workshop = live
    wid = workshop["id"]
    now = T0
    ids = [workshops.join(db, workshop["code"], s, now=now)["id"] for s in ("health", "sport", "vcse")]
    workshops.publish_presence(db, "server-a", {wid: {ids[0], ids[1]}}, now=now)
    workshops.publish_presence(db, "server-b", {wid: {ids[2]}}, now=now)
    assert workshops.presence_elsewhere(db, "server-a", [wid], now=now) == {wid: {ids[2]}}, "never its own word"
    assert workshops.presence_elsewhere(db, "server-c", [wid], now=now) == {wid: set(ids)}
    workshops.publish_presence(db, "server-a", {wid: set()}, now=now)  # its phones left: its rows go
    assert workshops.presence_elsewhere(db, "server-c", [wid], now=now) == {wid: {ids[2]}}
    later = now + timedelta(seconds=workshops.PRESENCE_FRESH_SECONDS + 1)
    assert workshops.presence_elsewhere(db, "server-c", [wid], now=later) == {wid: set()}, "a stopped server's word"
    workshops.publish_presence(db, "server-a", {}, now=now + timedelta(seconds=workshops.PRESENCE_SWEEP_SECONDS + 1))
    assert db.execute("SELECT count(*) FROM room_presence").fetchone()[0] == 0, "swept by the next server to write"


def test_phones_join_at_the_public_address_when_one_is_set_else_the_pages_own(monkeypatch):
    monkeypatch.delenv(workshops.PUBLIC_URL_VAR, raising=False)
    assert workshops.phones_join_at("http://10.1.2.3:8501/workshop?x=1", "ABC234") == (
        "http://10.1.2.3:8501/join?code=ABC234"
    )
    monkeypatch.setenv(workshops.PUBLIC_URL_VAR, "https://maturity.example.nhs.uk/")
    assert workshops.phones_join_at("http://127.0.0.1:8501/present/3/screen", "ABC234") == (
        "https://maturity.example.nhs.uk/join?code=ABC234"
    )


def test_a_vote_naming_an_item_in_the_wrong_shape_is_refused_and_the_batch_goes_on(live):
    db, _, w = live
    token = workshops.join(db, w["code"], "health", now=T0)["token"]
    refused, stored = workshops.cast_votes(
        db, [workshops.VoteRequest(token, ["governance"], 2), workshops.VoteRequest(token, w["current_item"], 3)], T0
    )
    assert isinstance(refused, VoteRefused) and "unknown item id" in str(refused)
    assert stored["level"] == 3 and workshops.my_votes(db, token) == {w["current_item"]: 3}
