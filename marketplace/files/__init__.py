"""Uploaded documents: checked by content, stored outside static/, read through views that
ask the owning object who may read them. Finance (pledge documents, appraisal reports) and
deals (contracts, receipts, recordation certificates) both keep their files here."""
