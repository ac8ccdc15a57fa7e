"""The page side of ``state/upload_reset.py``: clears a picker when its counter changes."""

from __future__ import annotations

import reflex as rx
from reflex.vars import FunctionVar, Var, VarData

from cantine_portal.state.upload_reset import UploadResetState


class _UploadReset(rx.Fragment):
    """Renders nothing; its hook calls Reflex's own clearing function, compiled, never eval'd."""

    upload_id: str = ""

    def add_hooks(self) -> list[str | Var]:
        count = UploadResetState.resets[self.upload_id].to(int)
        clear = Var("__clear_selected_files")._as_ref().to(FunctionVar).call(self.upload_id)
        code = f"useEffect(() => {{ if ({count}) {{ {clear}; }} }}, [{count}]);"
        data = VarData.merge(
            count._get_all_var_data(), clear._get_all_var_data(), VarData(imports={"react": ["useEffect"]})
        )
        return [Var(code, _var_data=data)]


def upload_reset(upload_id: str) -> rx.Component:
    return _UploadReset.create(upload_id=upload_id)
