DROP TABLE milestones;
DROP TABLE sows;
