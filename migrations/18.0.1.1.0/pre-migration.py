"""18.0.1.1.0: a workflow always runs as a named user. Workflows saved without one ran as
their creator: they keep doing so, now named, before the column becomes NOT NULL."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE workflow_workflow
           SET run_as_user_id = COALESCE(create_uid, write_uid)
         WHERE run_as_user_id IS NULL
        """
    )
