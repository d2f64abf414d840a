"""18.0.1.1.0, before the module's tables are updated:

- a workflow always runs as a named user: workflows saved without one ran as their creator and
  keep doing so, now named, before the column becomes NOT NULL;
- an Idempotency-Key starts one manual run of its workflow (a unique index that workflow.run's
  init creates): runs that concurrent requests started twice with one key before keep their
  history, the later ones with the key marked as a duplicate of the first.
"""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE workflow_workflow
           SET run_as_user_id = COALESCE(create_uid, write_uid)
         WHERE run_as_user_id IS NULL
        """
    )
    cr.execute(
        """
        UPDATE workflow_run run
           SET idempotency_key = run.idempotency_key || ':duplicate-' || run.id
         WHERE run.event_type = 'manual'
           AND run.idempotency_key IS NOT NULL
           AND EXISTS (
                SELECT 1 FROM workflow_run earlier
                 WHERE earlier.workflow_id = run.workflow_id
                   AND earlier.event_type = 'manual'
                   AND earlier.idempotency_key = run.idempotency_key
                   AND earlier.id < run.id
           )
        """
    )
