"""One mock interview question answered twice at once (two tabs, a double click) on both databases: exactly
one answer is recorded and reaches FSRS, the other is told 409; a card the review service refuses leaves the
question unanswered."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from support.accounts import make_user
from support.races import race
from support.review_cards import make_bank
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import Card, CardState, MockInterviewQuestion, Review, User
from quizapp.services import interviews
from quizapp.services.errors import ServiceError

ROUNDS = 5


def test_two_concurrent_answers_to_one_question_count_once(app: Flask) -> None:
    make_bank()
    user_id = make_user().id
    for round_number in range(ROUNDS):
        interview = committed(interviews.start_interview, db.session.get(User, user_id))
        question = next(q for q in interview.questions if not q.typed)
        interview_id, number, slug = interview.id, question.number, question.card_slug

        def answer(rating: int, interview_id: int = interview_id, number: int = number) -> object:
            user = db.session.get(User, user_id)
            return committed(interviews.answer_question, user, interview_id, number, rating=rating)

        outcomes = race(app, lambda: answer(1), lambda: answer(4))
        refused = [o for o in outcomes if isinstance(o, ServiceError)]
        assert len(refused) == 1 and refused[0].status == 409, (round_number, outcomes)
        db.session.expire_all()
        reviews = db.session.scalars(
            select(Review).where(
                Review.user_id == user_id, Review.idempotency_key.like(f"mock-{interview_id}-%")
            )
        ).all()
        stored = db.session.scalars(
            select(MockInterviewQuestion).where(
                MockInterviewQuestion.interview_id == interview_id, MockInterviewQuestion.number == number
            )
        ).one()
        assert [r.rating for r in reviews] == [stored.rating], round_number
        state = db.session.scalars(
            select(CardState).where(CardState.user_id == user_id, CardState.card_slug == slug)
        ).one()
        assert state.last_review == stored.answered_at, round_number
        committed(interviews.finish_interview, db.session.get(User, user_id), interview_id)


def test_a_card_retired_during_the_interview_leaves_its_question_unanswered(app: Flask) -> None:
    make_bank()
    user = make_user()
    interview = committed(interviews.start_interview, user)
    question = next(q for q in interview.questions if not q.typed)
    db.session.get(Card, question.card_slug).retired = True
    db.session.commit()
    try:
        committed(interviews.answer_question, user, interview.id, question.number, rating=3)
    except ServiceError as refused:
        assert refused.status == 404
    else:
        raise AssertionError("a retired card's rating was accepted")
    db.session.expire_all()
    assert db.session.get(MockInterviewQuestion, question.id).answered_at is None
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_two_tabs_starting_at_once_start_one_interview(app: Flask) -> None:
    make_bank()
    user_id = make_user().id
    for round_number in range(ROUNDS):

        def start() -> object:
            return committed(interviews.start_interview, db.session.get(User, user_id)).id

        outcomes = race(app, start, start)
        started = [o for o in outcomes if isinstance(o, int)]
        refused = [o for o in outcomes if isinstance(o, ServiceError)]
        assert len(started) == 1 and len(refused) == 1 and refused[0].status == 409, (round_number, outcomes)
        committed(interviews.finish_interview, db.session.get(User, user_id), started[0])
