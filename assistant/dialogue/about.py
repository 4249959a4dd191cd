"""Notice when a person writes about someone else, so answers speak to a pårørende."""

from __future__ import annotations

import re

from assistant.text import fold

_RELATIONS = (
    "søn|datter|barn|børn|mor|far|forældre|mand|kone|hustru|kæreste|partner|veninde|ven|"
    "vennen|bror|søster|søskende|nabo|kollega|bedstemor|bedstefar|farmor|farfar|mormor|"
    "morfar|svigermor|svigerfar|onkel|moster|faster|fætter|kusine|eks|elev|teenager|"
    "teenagesøn|teenagedatter|ægtefælle|samlever|niece|nevø"
)
_ABOUT_OTHER = re.compile(
    fold(rf"\b(min|mit|mine|vores|hans|hendes)\s+(?:\w+\s+)?({_RELATIONS})"
         r"(?:s|e|en|ens|er|ers|erne|ernes|ne|nes|ene|ner|nerne)?\b"
         r"|\bpårørende\b|\ben (ven|veninde|kollega|nabo) af mig\b")
)


def about_someone_else(text: str) -> bool:
    return bool(_ABOUT_OTHER.search(fold(text)))
