"""The services' own answer rules, run on every imported answer, point at the cell each rule is about.

The reader checks the same rules first, so these are a second guard; they are exercised here on
answers that bypass the reader, as a future divergence between the two would produce them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from excel.reader import TemplateAnswer, read_template
from questionnaires import get_questionnaire
from services.answers import MAX_TEXT, AnswerInputData, validate
from services.errors import problem_text
from services.imports import answer_problems
from tests.support.excel_workbooks import filled_template

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
FILLED = read_template(filled_template())


@pytest.mark.parametrize(("answer", "cell", "fragment"), [
    (TemplateAnswer(IDS[0], 7, False, "", "", 2), "F2", "7 is not a level"),
    (TemplateAnswer(IDS[0], 2, True, "理由", "", 2), "F2", "either a level or N/A"),
    (TemplateAnswer(IDS[1], None, True, "", "", 3), "G3", "N/A needs a written justification"),
    (TemplateAnswer(IDS[1], None, True, "长" * (MAX_TEXT + 1), "", 3), "G3", "justification is longer"),
    (TemplateAnswer(IDS[2], 3, False, "", "长" * (MAX_TEXT + 1), 4), "H4", "note is longer"),
    (TemplateAnswer("GOV-XXX-99", 3, False, "", "", 5), "A5", "not a question of"),
], ids=["level", "level_and_na", "na_without_justification", "long_justification", "long_note", "unknown_id"])
def test_a_service_rule_is_placed_at_its_cell(answer: TemplateAnswer, cell: str, fragment: str) -> None:
    problems = answer_problems(replace(FILLED, answers=(answer,)), Q)
    [rule] = validate(Q, AnswerInputData(answer.question_id, answer.level, answer.na, answer.justification,
                                                answer.note))
    # The services' own problem, with its code and field, placed at the cell (not wrapped as text).
    assert [(p.code, p.field, p.sheet, p.cell) for p in problems] == [(rule.code, rule.field, "答题", cell)]
    assert fragment in problems[0].text("en") and problems[0].text("en").startswith(f"Sheet 答题, cell {cell}: ")
    assert problems[0].text("zh") == f"工作表 答题，单元格 {cell}：{problem_text(rule, 'zh')}"  # in the user's language


def test_each_rule_of_one_row_has_its_own_cell() -> None:
    answer = TemplateAnswer(IDS[0], 9, True, "", "长" * (MAX_TEXT + 1), 7)  # level, N/A, justification, note
    cells = sorted(p.cell for p in answer_problems(replace(FILLED, answers=(answer,)), Q))
    assert cells == ["F7", "F7", "G7", "H7"]
