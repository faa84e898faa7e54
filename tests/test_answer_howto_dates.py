"""The offline answer's choice of sentences for three kinds of question: "How do I ...?" quotes
the steps of the section that answers it, "What is the difference between X and Y?" the
sentence telling them apart, and "When ...?" the dated sentence naming what it asks about."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.text.answer_types import asks_how_to, compared, states_difference

TEAM_ADMIN = """# Team administration guide

## Users and groups

A group collects the users who share access to the same projects and folders. Each user belongs
to at least one group, the one created with the account. This group has the user's own name and
holds no one else. However, an administrator can add a user to any other group at any time, and
can remove the user again. Membership of a group gives its members the group's permissions on
every project.

## Built-in groups

The following groups exist on every installation:

- staff: members may create projects and invite users to them
- audit: members may read the activity log of every project
- backup: members may restore deleted files from the nightly backup
- guests: members may view the projects shared with them, and nothing else

## Managing group membership

Membership changes are made in the admin console by an administrator.

1. Sign in to the admin console and open the Users page from the menu on the left.
2. Find the person with the search box at the top of the page and click their name.
3. Click the Groups tab, then click the Join group button under the list of groups.
4. Choose the group from the drop-down list and click Save to confirm the change.

The change takes effect the next time the person signs in.

## Passwords

Every account has a password that protects its projects and settings. It must be at least
twelve characters long. This rule applies to every account, including the administrators'
accounts. However, it does not apply to service accounts, which sign in with keys. Passwords
expire after one year, and you are reminded two weeks before they do.

## Forgotten passwords

Anyone who cannot sign in can get a new password by email.

1. Go to the sign-in page and click the Forgot password link under the Sign in button.
2. Type the email address of your account and click Send link.
3. Open the message we send you and click the link in it within one hour.
4. Type a new password twice and click Save; you are then signed in.
"""
GROUP_STEPS = [
    "1. Sign in to the admin console",
    "2. Find the person with the search box",
    "3. Click the Groups tab",
    "4. Choose the group from the drop-down list",
]
PASSWORD_STEPS = [
    "1. Go to the sign-in page",
    "2. Type the email address of your account",
    "3. Open the message we send you",
    "4. Type a new password twice",
]

PLANS = """# Plans and billing

## The Basic plan

The Basic plan is the plan every new account starts on. The Basic plan includes five projects,
one gigabyte of storage and community support. Accounts on the Basic plan can invite up to three
collaborators. The Basic plan is free of charge for as long as the account is used.

## The Team plan

The Team plan is the plan for companies with several departments. The Team plan includes
unlimited projects, a hundred gigabytes of storage and support by email. Accounts on the Team
plan are billed each month per user. The Team plan can be cancelled at the end of any month.

## Choosing a plan

Most people start with the free plan and move later. The main difference is that only the paid
plan lets administrators manage users centrally. An account can change its plan at any time
from the billing page.
"""

HISTORY = """# Project history

## Early years

The Orca project was started in 2011 by a small team at the University of Bergen. Its first
public release, version 0.9, followed in March 2013. The team moved the code to GitHub in 2014,
and the number of contributors grew to over forty. Version 1.0 was released on 2 May 2016, after
three years of beta testing. A foundation was set up to hold the trademark in 2018.

## Later releases

Version 2.0 dropped support for Python 2 and was released in January 2020. The web interface was
rewritten in 2021. Version 3.0, released on 14 September 2023, added a plugin system. The
project's tenth anniversary conference was held in Bergen in June 2021.
"""


def asked(service, tmp_path: Path, name: str, text: str, question: str) -> str:
    """The offline answer to `question` from a library holding `text` as the file `name`."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = service.ingest([path])
    assert report.ok, [f.error for f in report.files]
    return service.ask(question).text


@pytest.mark.parametrize(
    ("question", "steps", "other_steps"),
    [
        ("How do I add a user to a group?", GROUP_STEPS, PASSWORD_STEPS),
        ("How do I reset my password?", PASSWORD_STEPS, GROUP_STEPS),
    ],
    ids=["prose-naming-the-question-words", "steps-under-their-own-heading"],
)
def test_a_how_to_question_quotes_the_steps_of_the_section_answering_it(
    service, tmp_path: Path, question: str, steps: list[str], other_steps: list[str]
) -> None:
    """ "However, an administrator can add a user to any other group" holds every word of the
    question and would bring the two sentences it leans on, filling the answer; the steps,
    each alone less like the question, say how it is done."""
    answer = asked(service, tmp_path, "team-admin.md", TEAM_ADMIN, question)
    at = [answer.find(step) for step in steps]
    assert -1 not in at and at == sorted(at), answer
    assert not any(step in answer for step in other_steps), answer
    assert "However, an administrator can add" not in answer, answer


def test_the_steps_come_after_the_sentence_leading_to_them(service, tmp_path: Path) -> None:
    answer = asked(
        service, tmp_path, "team-admin.md", TEAM_ADMIN, "How do I add a user to a group?"
    )
    assert answer.startswith("Membership changes are made in the admin console"), answer


def test_a_difference_question_quotes_the_sentence_stating_the_difference(
    service, tmp_path: Path
) -> None:
    """Each plan's sentences name the plan, and the question's words, more often than the one
    sentence saying how they differ."""
    answer = asked(
        service,
        tmp_path,
        "plans.md",
        PLANS,
        "What is the difference between the Basic plan and the Team plan?",
    )
    assert "The main difference is that only the paid plan" in answer, answer


@pytest.mark.parametrize(
    ("question", "answered", "other_dates"),
    [
        (
            "When did the project move to GitHub?",
            "The team moved the code to GitHub in 2014",
            ["was started in 2011", "June 2021"],
        ),
        (
            "When was the Orca project started?",
            "The Orca project was started in 2011",
            ["GitHub in 2014", "trademark in 2018"],
        ),
    ],
)
def test_a_date_question_quotes_the_dated_sentence_naming_its_subject(
    service, tmp_path: Path, question: str, answered: str, other_dates: list[str]
) -> None:
    """Every sentence of the history holds a date; the one answering names what is asked
    about, and leads the answer rather than the passage's other dates."""
    answer = asked(service, tmp_path, "history.md", HISTORY, question)
    assert answer.startswith(answered), answer
    assert not any(other in answer for other in other_dates), answer


@pytest.mark.parametrize(
    ("question", "how_to"),
    [
        ("How do I reset my password?", True),
        ("How can we add a user to a group?", True),
        ("How to install R on Windows?", True),
        ("What are the steps to restore a file?", True),
        ("How do plants absorb water?", False),
        ("How does the search work?", False),
        ("How many users can a group hold?", False),
    ],
)
def test_how_to_questions_are_told_from_other_how_questions(question: str, how_to: bool) -> None:
    assert asks_how_to(question) is how_to


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        ("What is the difference between a hard link and a symbolic link?", ({"hard"}, {"symbol"})),
        ("What are the differences between TCP and UDP?", ({"tcp"}, {"udp"})),
        ("How does the Basic plan differ from the Team plan?", ({"basic"}, {"team"})),
        ("What is the difference between && and &?", None),  # no terms to name either by
        ("What is a hard link?", None),
    ],
)
def test_the_two_things_a_difference_question_compares(question: str, sides) -> None:
    assert compared(question) == (None if sides is None else tuple(map(frozenset, sides)))


def test_a_sentence_states_a_difference_by_naming_both_or_by_contrasting() -> None:
    states = states_difference("What is the difference between a hard link and a symbolic link?")
    assert states is not None
    assert states("A hard link cannot cross file systems, but a symbolic link can.")
    assert states("Unlike a symbolic link, it cannot cross file systems.")
    assert states("The main difference is that only one can cross file systems.")
    assert not states("A symbolic link is a small file that holds the path of another file.")


def test_a_contrast_of_other_things_states_no_difference() -> None:
    """A contrast word counts in the clause naming one of the two things asked of."""
    states = states_difference("What is the difference between a hard link and a symbolic link?")
    assert states is not None
    assert not states("Unlike the others, it can cross file systems.")
    assert not states("A symbolic link is resolved each time (whereas a path is not).")
    assert states_difference("What is a hard link?") is None


FERRY = """# Ferry guide

## Terms used in this guide

Concession: A reduced fare for travellers aged 60 or over.

Island resident: A person whose main home is on one of the north isles.

## Booking a crossing

To book a crossing with a car, follow these steps:

1. Choose your route and date on the booking website.
2. Enter the length and registration of your car.
3. Pay the fare by card and print the boarding pass.
4. Arrive at the terminal at least 30 minutes before sailing.
"""

CLINIC = """# Harbour Street Dental Clinic

## Booking an appointment

To book an appointment online:

1. Open the booking page and choose New patient.
2. Pick a dentist and a free time slot.
3. Enter your name, date of birth and phone number.
4. Confirm the booking with the code we send by text message.

## Check-up and hygiene visits

A check-up is a 20-minute examination by a dentist. A hygiene visit is a 40-minute cleaning by
a hygienist.
"""


@pytest.mark.parametrize(
    ("name", "text", "question"),
    [
        ("ferry.md", FERRY, "What is a concession fare?"),
        ("clinic.md", CLINIC, "Who runs Harbour Street Dental?"),
    ],
    ids=["after-a-definition", "holding-none-of-the-question-words"],
)
def test_steps_answering_no_how_to_question_are_not_quoted(
    service, tmp_path: Path, name: str, text: str, question: str
) -> None:
    """A step that is only like the question ("3. Pay the fare by card ...", "2. Pick a
    dentist ...") would bring its whole list to an answer it does not give."""
    answer = asked(service, tmp_path, name, text, question)
    assert "1. " not in answer and "follow these steps" not in answer, answer
    assert "To book an appointment online" not in answer, answer


def test_steps_are_still_quoted_for_a_how_to_question(service, tmp_path: Path) -> None:
    answer = asked(service, tmp_path, "ferry.md", FERRY, "How do I book a crossing with a car?")
    assert "4. Arrive at the terminal" in answer, answer


R_ARRAYS = """# Arrays

A matrix is just an array with two subscripts. An array can have any number of subscripts,
whereas a matrix always has two. The dimension vector of an array gives the upper bound of each
subscript. A matrix is filled column by column from its data vector. An array with three
subscripts is shown as a series of matrices, one for each value of its last subscript.

## Indexing

In R, indexing a vector, matrix, array or data frame with a character vector looks only for
exact names (whereas the dollar operator allows partial matches).

The functions nrow and ncol give the number of rows and columns of a matrix.
"""


def test_naming_both_things_in_passing_is_not_telling_them_apart(
    service, tmp_path: Path
) -> None:
    answer = asked(service, tmp_path, "arrays.md", R_ARRAYS,
                   "What is the difference between a matrix and an array?")
    assert "whereas a matrix always has two" in answer, answer
    assert "indexing a vector, matrix, array" not in answer, answer
