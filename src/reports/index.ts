// Reading a run's findings, shared by the API and the activities (no activity or route code here).
export * from './compare';
export * from './siteIssueStore';
