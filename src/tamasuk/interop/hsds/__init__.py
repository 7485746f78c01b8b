"""Open Referral HSDS 3.0 (Human Services Data Specification) JSON: organisations, services, locations and
the links between services and locations. No Django.

    from tamasuk.interop.hsds import kinds, reader, redaction, schemas, writer

    loaded = schemas.load_schemas()                     # the three official compiled schemas
    result = reader.read(data, schemas=loaded)          # organisations, services, locations, links
    if result.errors: ...                               # every problem, each with a JSON pointer; write nothing
    safe = redaction.redact_confidential(services, locations, service_at_locations)
    doc = writer.write(organisations, *safe)            # a page of organization objects, services nested
    assert not kinds.validate(doc, schemas=loaded)      # what we write validates against the official schemas

Modules (this package re-exports nothing: import from the module that defines a name)
    records     the records in our vocabulary, HsdsError, HsdsReadResult, stable_id
    schemas     loading the official schemas; the strict validator and its errors worded for people
    kinds       what an object is (recognise, from its fields) and validate for a whole document
    reader      read: HSDS JSON → records, errors and warnings
    redaction   redact_confidential: what of a confidential service may leave the city team
    writer      write: records → an HSDS 3.0 API page (refusing a confidential leak)
"""
