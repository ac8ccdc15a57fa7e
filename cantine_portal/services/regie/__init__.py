"""The régie de recettes: counter payments, cheque rejections, refunds, the journal and its closures."""
