"""Mock interview use cases: start one (cards weighted to the weakest topics, plus a drill), answer its
questions before the time is up, submit its drill, finish it, and read its report or the history.

Selection and scoring are pure (`quizapp.srs.mock_interview`). Each answer's rating is applied to FSRS the
moment it is answered, through `review_card` with the key `mock-<interview>-<number>`, in the same
unit of work that marks the question answered: a question is answered once, so it reaches FSRS once.
Callers commit (quizapp.extensions.unit_of_work); reading an interview whose time is up finishes it, so
the pages that read them commit too.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from quizapp.extensions import db, lock_user
from quizapp.models import (
    Card,
    CardState,
    Drill,
    MockInterview,
    MockInterviewQuestion,
    Submission,
    Topic,
    User,
    utcnow,
)
from quizapp.services import review as reviews
from quizapp.services.errors import ServiceError
from quizapp.services.progress import submission_records
from quizapp.services.submissions import drill_specs, store_submission
from quizapp.srs import mock_interview as pure
from quizapp.srs import retrievability

MAX_NOTES_CHARS = 2000
AGAIN, GOOD = 1, 3


# ----------------------------------------------------------------------------------------------- start


def start_interview(user: User, now: dt.datetime | None = None, seed: int | None = None) -> MockInterview:
    """A new interview of the person's length setting; 409 while another one is still running."""
    now = now or utcnow()
    running_interview(user, now)  # finishes any whose time ran out
    # Lock the person (extensions.lock_user) so that two tabs starting at once cannot both pass the
    # one-at-a-time check.
    lock_user(user.id)
    running = db.session.scalar(
        select(MockInterview.id).where(MockInterview.user_id == user.id, MockInterview.finished_at.is_(None))
    )
    if running is not None:
        raise ServiceError(
            409, f"Mock interview #{running} is still running; finish it (or let its time run out) first."
        )
    rng = random.Random(seed)
    candidates = _card_candidates(user, now)
    if not candidates:
        raise ServiceError(409, "There are no cards to ask yet; load the question bank first.")
    minutes = user.interview_minutes or pure.MINUTES_DEFAULT
    chosen = pure.select_cards(candidates, pure.card_count(minutes), rng)
    interview = MockInterview(
        user_id=user.id,
        minutes=minutes,
        started_at=now,
        ends_at=now + dt.timedelta(minutes=minutes),
        drill_slug=pure.choose_drill(_drill_candidates(user), pure.topic_weakness(candidates), rng),
    )
    interview.questions = [
        MockInterviewQuestion(number=number, card_slug=card.slug, typed=card.typed)
        for number, card in enumerate(chosen, start=1)
    ]
    db.session.add(interview)
    try:
        db.session.flush()
    except IntegrityError:  # another tab's interview went in first (the one-running index)
        raise ServiceError(
            409, "Another mock interview was started meanwhile; open it from /interview."
        ) from None
    return interview


def _card_candidates(user: User, now: dt.datetime) -> list[pure.Candidate]:
    """Every live card a person can answer in a few minutes (not the code cards: the drill is separate)."""
    query = (
        select(Card, CardState)
        .outerjoin(CardState, (CardState.card_slug == Card.slug) & (CardState.user_id == user.id))
        .where(Card.retired.is_(False), Card.kind != "code")
        .order_by(Card.topic_slug, Card.position, Card.slug)
    )
    scheduler = reviews.user_scheduler(user, fuzz=False)
    candidates = []
    for card, state in db.session.execute(query):
        memory = reviews.to_memory_state(state) if state is not None else None
        recall = retrievability(memory, now, scheduler) if memory is not None else None
        lapses = memory.lapses if memory is not None else 0
        candidates.append(
            pure.Candidate(card.slug, card.topic_slug, reviews.typed_answers_enabled(card), recall, lapses)
        )
    return candidates


def _drill_candidates(user: User) -> list[pure.DrillCandidate]:
    specs = drill_specs()
    passed = {record.drill_slug for record in submission_records(user.id) if record.passed}
    drills = db.session.scalars(select(Drill).where(Drill.retired.is_(False)).order_by(Drill.position))
    return [pure.DrillCandidate(d.slug, d.topic_slug, d.slug in passed) for d in drills if d.slug in specs]


# ------------------------------------------------------------------------------------------ read, finish


def running_interview(user: User, now: dt.datetime | None = None) -> MockInterview | None:
    """The person's interview still in progress (an expired one is finished on the way)."""
    now = now or utcnow()
    unfinished = db.session.scalars(
        select(MockInterview).where(MockInterview.user_id == user.id, MockInterview.finished_at.is_(None))
    ).all()
    running = None
    for interview in unfinished:
        if _finish_if_over(interview, now) is None:
            running = interview
    return running


def owned_interview(user: User, interview_id: object, now: dt.datetime | None = None) -> MockInterview:
    """One of the person's interviews (404 for anyone else's: they look exactly like missing ones); one
    whose time is up is finished here, so it ends itself even if nobody presses Finish."""
    interview = db.session.get(MockInterview, interview_id) if isinstance(interview_id, int) else None
    if interview is None or interview.user_id != user.id:
        raise ServiceError(404, f"There is no mock interview #{interview_id} of yours.")
    _finish_if_over(interview, now or utcnow())
    return interview


def interview_or_report(
    user: User, interview_id: object, now: dt.datetime | None = None
) -> MockInterview | InterviewReport:
    """One of the person's interviews while it runs; its report once it is over (finished, or time up)."""
    interview = owned_interview(user, interview_id, now)
    return interview_report(interview) if is_over(interview) else interview


def _finish_if_over(interview: MockInterview, now: dt.datetime) -> dt.datetime | None:
    if interview.finished_at is None and now >= interview.ends_at:
        _finish(interview, interview.ends_at)
    return interview.finished_at


def finish_interview(user: User, interview_id: object, now: dt.datetime | None = None) -> MockInterview:
    """End the interview now (finishing one already over changes nothing)."""
    now = now or utcnow()
    interview = owned_interview(user, interview_id, now)
    if interview.finished_at is None:
        _finish(interview, now)
    return interview


def _finish(interview: MockInterview, at: dt.datetime) -> None:
    # Only the first finisher writes: a concurrent finish (or an answer racing the clock) changes nothing.
    score = pure.overall_score(_answers(interview))
    db.session.execute(
        update(MockInterview)
        .where(MockInterview.id == interview.id, MockInterview.finished_at.is_(None))
        .values(finished_at=at, score=score),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(interview)


def is_over(interview: MockInterview) -> bool:
    return interview.finished_at is not None


@dataclass(frozen=True)
class RecordedAnswer:
    """What answering a question tells the page: which one, when, and the time left for the others."""

    number: int
    answered_at: dt.datetime | None
    seconds_left: int


def record_answer(
    user: User, interview_id: object, number: object, answer: object = None, rating: object = None
) -> RecordedAnswer:
    """`answer_question`, then the interview's time left (one call for the JSON API)."""
    now = utcnow()
    question = answer_question(user, interview_id, number, answer, rating, now=now)
    interview = owned_interview(user, interview_id, now)
    return RecordedAnswer(question.number, question.answered_at, seconds_left(interview, now))


def finish_with_report(user: User, interview_id: object) -> InterviewReport:
    """End the interview now and return its report (one call for the JSON API)."""
    return interview_report(finish_interview(user, interview_id))


def seconds_left(interview: MockInterview, now: dt.datetime | None = None) -> int:
    if interview.finished_at is not None:
        return 0
    return max(0, int((interview.ends_at - (now or utcnow())).total_seconds()))


def interview_history(user: User) -> list[MockInterview]:
    """The person's finished interviews, oldest first (the score trend)."""
    running_interview(user)  # finish any whose time ran out
    return list(
        db.session.scalars(
            select(MockInterview)
            .where(MockInterview.user_id == user.id, MockInterview.finished_at.is_not(None))
            .order_by(MockInterview.started_at, MockInterview.id)
        )
    )


# --------------------------------------------------------------------------------------------- answers


def answer_question(
    user: User,
    interview_id: object,
    number: object,
    answer: object = None,
    rating: object = None,
    now: dt.datetime | None = None,
) -> MockInterviewQuestion:
    """Record the answer to question `number`: a typed card is checked (Good if right, else Again), a
    self-rated card takes the learner's rating 1–4 and optional notes. Refused once the time is up, and for
    a question answered already. The rating reaches FSRS in the same transaction."""
    now = now or utcnow()
    interview = _open_interview(user, interview_id, now)
    question = _question(interview, number)
    if question.answered_at is not None:
        raise ServiceError(409, f"Question {question.number} is answered already; go on to the next one.")
    text, chosen, correct = _graded(question, answer, rating)
    marked = db.session.execute(
        update(MockInterviewQuestion)
        .where(MockInterviewQuestion.id == question.id, MockInterviewQuestion.answered_at.is_(None))
        .values(answer=text, rating=chosen, correct=correct, answered_at=now),
        execution_options={"synchronize_session": False},
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise ServiceError(409, f"Question {question.number} is answered already; go on to the next one.")
    # The answer and the rating go in together: a refused rating (the card retired meanwhile, or rated in
    # another tab) raises ServiceError, and the caller rolls back both.
    reviews.review_card(
        user,
        question.card_slug,
        chosen,
        f"mock-{interview.id}-{question.number}",
        None,
        now=now,
        origin="interview",
        answer_given=text,
        answer_correct=correct,
    )
    db.session.refresh(question)
    return question


def _open_interview(user: User, interview_id: object, now: dt.datetime) -> MockInterview:
    interview = owned_interview(user, interview_id, now)
    if interview.finished_at is not None:
        ended = interview.finished_at.strftime("%H:%M:%S UTC")
        raise ServiceError(
            409,
            f"This mock interview is over (it ended at {ended}); answers after the end are not recorded. "
            "Its report shows how you did.",
        )
    return interview


def _question(interview: MockInterview, number: object) -> MockInterviewQuestion:
    for question in interview.questions:
        if question.number == number:
            return question
    raise ServiceError(404, f"This interview has no question {number}; it has {len(interview.questions)}.")


def _graded(
    question: MockInterviewQuestion, answer: object, rating: object
) -> tuple[str | None, int, bool | None]:
    """(the stored text, the FSRS rating, correct or None for self-rated) of a valid answer."""
    if question.typed:
        if rating is not None:
            raise ServiceError(422, "This card is checked from your typed answer; send only 'answer'.")
        if not isinstance(answer, str) or not answer.strip():
            raise ServiceError(422, 'Type your answer to this card: {"answer": "0.1"}.')
        check = reviews.check_typed_answer(question.card_slug, answer.strip())
        if not check.judged:  # the checker could not decide: nothing is recorded, the answer may come again
            raise ServiceError(503, check.message)
        return answer.strip(), GOOD if check.correct else AGAIN, bool(check.correct)
    if isinstance(rating, bool) or rating not in (1, 2, 3, 4):
        raise ServiceError(422, "Rate how well you knew it: 1 Again, 2 Hard, 3 Good, 4 Easy.")
    if answer is not None and not isinstance(answer, str):
        raise ServiceError(422, "Your notes ('answer') must be text.")
    if isinstance(answer, str) and len(answer) > MAX_NOTES_CHARS:
        raise ServiceError(422, f"Keep your notes under {MAX_NOTES_CHARS} characters.")
    notes = answer.strip() if isinstance(answer, str) and answer.strip() else None
    return notes, int(rating), None


def submit_interview_drill(
    user: User,
    interview_id: object,
    code: object,
    framework: object,
    now: dt.datetime | None = None,
    request_id: str | None = None,
) -> tuple[MockInterview, Submission]:
    """Store a submission of the interview's drill (queued) and link it to the interview; the caller
    commits, then hands the submission to the grading queue (quizapp.jobs.submit_interview_drill). The
    report shows the latest submission."""
    interview = _open_interview(user, interview_id, now or utcnow())
    if interview.drill_slug is None:
        raise ServiceError(409, "This interview has no drill (none was loaded when it started).")
    submission = store_submission(user, interview.drill_slug, code, framework, request_id)
    interview.submission_id = submission.id
    db.session.flush()
    return interview, submission


# ---------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class QuestionReport:
    number: int
    card: Card
    typed: bool
    answer: str | None
    rating: int | None
    correct: bool | None
    points: float
    seconds: float | None


@dataclass(frozen=True)
class TopicReport:
    slug: str
    title: str
    score: pure.TopicScore


@dataclass(frozen=True)
class DrillReport:
    slug: str
    title: str
    status: str  # not submitted | queued | running | done | error
    submission_id: int | None
    verdict: str | None
    diagnosis: dict[str, Any] | None


@dataclass(frozen=True)
class InterviewReport:
    interview: MockInterview
    score: float
    topics: list[TopicReport]
    questions: list[QuestionReport]
    drill: DrillReport | None
    study_next: list[TopicReport]


def interview_report(interview: MockInterview) -> InterviewReport:
    """Everything the end of an interview shows: score per topic, each answer with its card's back and
    the time spent, the drill's verdict and diagnosis, and the topics to study next."""
    answers = _answers(interview)
    seconds = pure.seconds_per_question(interview.started_at, answers)
    titles = {slug: title for slug, title in db.session.execute(select(Topic.slug, Topic.title))}
    topics = [TopicReport(s.topic, titles.get(s.topic, s.topic), s) for s in pure.topic_scores(answers)]
    by_slug = {topic.slug: topic for topic in topics}
    questions = [
        QuestionReport(
            q.number, q.card, q.typed, q.answer, q.rating, q.correct, a.points, seconds.get(q.number)
        )
        for q, a in zip(interview.questions, answers, strict=True)
    ]
    return InterviewReport(
        interview=interview,
        score=pure.overall_score(answers),
        topics=topics,
        questions=questions,
        drill=_drill_report(interview),
        study_next=[by_slug[slug] for slug in pure.study_next([t.score for t in topics])],
    )


def _answers(interview: MockInterview) -> list[pure.Answer]:
    return [
        pure.Answer(q.number, q.card.topic_slug, q.typed, q.rating, q.correct, q.answered_at)
        for q in interview.questions
    ]


def _drill_report(interview: MockInterview) -> DrillReport | None:
    if interview.drill_slug is None:
        return None
    drill = db.session.get(Drill, interview.drill_slug)
    title = drill.title if drill is not None else interview.drill_slug
    submission = interview.submission
    if submission is None:
        return DrillReport(interview.drill_slug, title, "not submitted", None, None, None)
    verdict = submission.verdict or {}
    diagnosis = verdict.get("diagnosis") if isinstance(verdict.get("diagnosis"), dict) else None
    return DrillReport(
        interview.drill_slug, title, submission.status, submission.id, verdict.get("verdict"), diagnosis
    )
