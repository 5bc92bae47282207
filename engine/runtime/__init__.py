"""The runtime: what every use case shares, and the only way they touch complaints.

- :mod:`~engine.runtime.unit_of_work`: :class:`Database` and the :class:`UnitOfWork` (one
  transaction per user action: session, locks, conflicts as ConcurrentUpdate, audit appends,
  after-commit effects);
- :mod:`~engine.runtime.complaints`: load and lock a complaint or a task, start a complaint,
  restore its workflow, run an engine step, check the data handed to a process;
- :mod:`~engine.runtime.saving`: save a run with its projections (tasks, timers, summary,
  outbox, audit events);
- :mod:`~engine.runtime.versions`: deployed versions and their specs, policy, forms (cached);
- :mod:`~engine.runtime.deployment`: the checks a deployment's files pass;
- :mod:`~engine.runtime.access`: users, roles, lanes and the checks on who acts on a task;
- :mod:`~engine.runtime.process_helpers`: the functions diagrams call on a complaint;
- :mod:`~engine.runtime.documents`: documents received with a form, saved with its action;
- :mod:`~engine.runtime.views`: the plain views use cases return.
"""

from engine.runtime.access import (
    ADMIN_ROLE,
    SUPERVISOR_ROLE,
    WORKING_ROLES,
    active_user,
    any_user,
    lane_filter,
    lanes_of,
    require_lane,
    require_supervisor,
    role_named,
    supervises,
)
from engine.runtime.complaints import (
    cancel_waiting_timers,
    checked_free_data,
    complete_ready_task,
    document_ids,
    load_complaint,
    load_task,
    next_reference,
    restore_workflow,
    run_step,
    script_helpers,
    start_complaint,
    validated_form_data,
)
from engine.runtime.deployment import (
    FORMS_PREFIX,
    check_deployment,
    read_deployment_files,
    validate_files,
    validate_paths,
)
from engine.runtime.process_helpers import (
    COMPLAINT_PROCESS,
    CORRECTIVE_ACTION_PROCESS,
    DEFAULT_PRIORITY_LEVELS,
    script_helper_names,
)
from engine.runtime.saving import SUMMARY_KEYS, WAITING_TIMER_STATES, save_run
from engine.runtime.unit_of_work import Database, UnitOfWork
from engine.runtime.versions import (
    content_hash,
    form_names,
    form_of,
    latest_version,
    latest_version_with,
    library_of,
    policy_of,
    require_latest_version,
    store_version,
    version_numbered,
)
from engine.runtime.views import (
    EventView,
    InstanceView,
    TaskView,
    TimerView,
    VersionView,
    event_view,
    instance_view,
    task_row_view,
    task_view,
    version_view,
)
from engine.trail.events import SYSTEM_ACTOR

__all__ = [
    "ADMIN_ROLE",
    "COMPLAINT_PROCESS",
    "CORRECTIVE_ACTION_PROCESS",
    "DEFAULT_PRIORITY_LEVELS",
    "FORMS_PREFIX",
    "SUMMARY_KEYS",
    "SUPERVISOR_ROLE",
    "SYSTEM_ACTOR",
    "WAITING_TIMER_STATES",
    "WORKING_ROLES",
    "Database",
    "EventView",
    "InstanceView",
    "TaskView",
    "TimerView",
    "UnitOfWork",
    "VersionView",
    "active_user",
    "any_user",
    "cancel_waiting_timers",
    "check_deployment",
    "checked_free_data",
    "complete_ready_task",
    "content_hash",
    "document_ids",
    "event_view",
    "form_names",
    "form_of",
    "instance_view",
    "lane_filter",
    "lanes_of",
    "latest_version",
    "latest_version_with",
    "library_of",
    "load_complaint",
    "load_task",
    "next_reference",
    "policy_of",
    "read_deployment_files",
    "require_lane",
    "require_latest_version",
    "require_supervisor",
    "restore_workflow",
    "role_named",
    "run_step",
    "save_run",
    "script_helper_names",
    "script_helpers",
    "start_complaint",
    "store_version",
    "supervises",
    "task_row_view",
    "task_view",
    "validate_files",
    "validate_paths",
    "validated_form_data",
    "version_numbered",
    "version_view",
]
