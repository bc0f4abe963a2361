DROP TABLE project_closeouts;
DROP TABLE closeout_waivers;
