"""components/forms.py labelled_upload: the dropzone's own file input gets a name and an id.

labelled_upload edits an element Reflex builds (no prop reaches it, see its docstring). These
tests render the component and fail loudly when a Reflex upgrade moves that element: the name
would otherwise land elsewhere or nowhere, and every upload form would fail axe's "label" rule.
"""

from __future__ import annotations

import re

import pytest
import reflex as rx

from cantine_portal.components import forms

UPGRADE_HINT = (
    "rx.upload.root changed shape: components/forms.py labelled_upload no longer names "
    "the dropzone's file input. See its docstring."
)


def _rendered(component: rx.Component) -> tuple[str, str]:
    """The component's JSX and its hooks, as the compiled page will hold them."""
    return str(component), "\n".join(component._get_all_hooks())


def test_the_file_input_react_dropzone_drives_carries_the_name_and_id():
    upload = forms.labelled_upload(
        rx.el.button("Choisir un fichier PDF", type="button"),
        upload_id="piece-jointe",
        input_label="Pièce jointe (fichier PDF)",
        multiple=False,
        accept={"application/pdf": [".pdf"]},
    )
    jsx, hooks = _rendered(upload)
    # react-dropzone's hook gives the props of the input it opens and reads (getInputProps).
    alias = re.search(r"getInputProps: (\w+)[,}]", hooks)
    assert alias, UPGRADE_HINT
    inputs = re.findall(r'jsx\("input",\{([^}]*)\}', jsx)
    assert len(inputs) == 1, f"{UPGRADE_HINT}\n{jsx}"
    attributes = inputs[0]
    assert f"...{alias.group(1)}()" in attributes, f"{UPGRADE_HINT}\n{jsx}"
    assert '"aria-label":"Pi\\u00e8ce jointe (fichier PDF)"' in attributes, f"{UPGRADE_HINT}\n{jsx}"
    assert 'id:"piece-jointe-input"' in attributes, f"{UPGRADE_HINT}\n{jsx}"
    assert 'type:"file"' in attributes
    # Our props spread before getInputProps(): the name survives only while react-dropzone sets none.
    assert attributes.index('"aria-label"') < attributes.index(f"...{alias.group(1)}()")
    # The caller's children stay inside the zone, after the input.
    assert jsx.index('jsx("input"') < jsx.index("Choisir un fichier PDF")


def test_a_reshaped_upload_stops_the_build_instead_of_labelling_the_wrong_element():
    reshaped = rx.fragment(rx.el.div(rx.el.input(type="text")))
    with pytest.raises(RuntimeError, match="labelled_upload"):
        forms._dropzone_file_input(reshaped)
