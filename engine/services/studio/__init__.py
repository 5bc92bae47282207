"""The studio's use cases: process files and their drafts, the checks a draft must pass, what
a deployment changes, deploying drafts, moving running complaints between versions, exports.

A draft is a process file (diagram, decision table, form, policy or message template) edited
by a process owner and checked, waiting to be deployed. A draft is only stored when the whole
would-be version (every draft plus the deployed files) passes the same checks as
``doleance validate``. Deploying the drafts makes the next version; complaints already running
stay on theirs until they are migrated, one transaction per complaint, when SpiffWorkflow's
diff says it is safe.
"""

from engine.runtime import FORMS_PREFIX
from engine.services.studio.changes import Detail, ElementChange, FileChange
from engine.services.studio.drafts import (
    DeadlinePreview,
    DeploymentPreview,
    DraftRejected,
    SavedDraft,
    check_form,
    check_policy,
    deploy_drafts,
    deployment_preview,
    discard_draft,
    save_draft,
)
from engine.services.studio.files import (
    KINDS,
    NEW_FILE_TEMPLATES,
    EditableFile,
    StudioFile,
    StudioOverview,
    VersionSummary,
    file_kind,
    open_file,
    overview,
    text_hash,
)
from engine.services.studio.migration import (
    MIGRATED,
    Candidate,
    MigrationPlan,
    MigrationRefused,
    MigrationReport,
    Reason,
    migrate_complaint,
    migrate_complaints,
    plan_migration,
)
from engine.services.studio.versions import (
    VersionFiles,
    archive_path,
    deployed_files,
    diff_files,
    version_archive,
    version_files,
)
from engine.services.studio.xml_changes import same_content

__all__ = [
    "FORMS_PREFIX",
    "KINDS",
    "MIGRATED",
    "NEW_FILE_TEMPLATES",
    "Candidate",
    "DeadlinePreview",
    "DeploymentPreview",
    "Detail",
    "DraftRejected",
    "EditableFile",
    "ElementChange",
    "FileChange",
    "MigrationPlan",
    "MigrationRefused",
    "MigrationReport",
    "Reason",
    "SavedDraft",
    "StudioFile",
    "StudioOverview",
    "VersionFiles",
    "VersionSummary",
    "archive_path",
    "check_form",
    "check_policy",
    "deploy_drafts",
    "deployed_files",
    "deployment_preview",
    "diff_files",
    "discard_draft",
    "file_kind",
    "migrate_complaint",
    "migrate_complaints",
    "open_file",
    "overview",
    "plan_migration",
    "same_content",
    "save_draft",
    "text_hash",
    "version_archive",
    "version_files",
]
