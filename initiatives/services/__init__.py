"""The initiatives' writes and rules, one module per part. The pages, the API, the admin and the
commands all call these functions, so each rule exists once:

- ``initiatives``: an initiative itself (which fields its ops leads keep, which only admins
  change; the stale edit; every stage change through ``stages``);
- ``stages``: the way to production, in one place, and the hook by which governance adds its
  gates to it;
- ``brief``: the deployment brief, its signatures, and their voiding when it changes;
- ``workflow``: the workflow change with its steps and roles;
- ``roadmap``: milestones and backlog items, as a whole list or one at a time;
- ``prioritisation``: what ranks an initiative in the expansion pipeline;
- ``rows``: the list edits the others share.
"""
