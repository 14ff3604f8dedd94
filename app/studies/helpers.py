"""Template helpers for evidence everywhere a study or an appraisal appears (badges, chips, vocabularies)."""
from __future__ import annotations

from app.bibliography.appraisal import GRADE_FACTORS, JUDGEMENTS, TOOLS, tool_for_design
from app.bibliography.notices import human_date
from app.services.appraisals import values_of
from app.services.evidence_map import notice_badge_text, notices_of
from app.studies import bp


@bp.app_context_processor
def inject_evidence_helpers():
    return {"notices_of": notices_of, "notice_badge_text": notice_badge_text, "human_date": human_date,
            "appraisal_values": values_of, "appraisal_tools": TOOLS, "judgements": JUDGEMENTS,
            "grade_factors": GRADE_FACTORS, "tool_for_design": tool_for_design}
