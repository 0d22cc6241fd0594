/**
 * The recorded stack exports (test/fixtures/stackExport.*.json) and the URNs they hold, shared by
 * test/retryPlan.test.ts (the plan) and test/retryPlan.servers.test.ts (deploy.ts run for real against a stand-in
 * `pulumi`).
 */
import * as path from "path";

export const FIXTURES = path.join(__dirname, "fixtures");
export const P = "urn:pulumi:prod::freshtrack::";
export const BACKEND = `${P}freshtrack:services:AppTier$freshtrack:services:Service$docker:index/container:Container::backend`;
export const MIGRATE = `${P}freshtrack:services:AppTier$freshtrack:services:Migrations$freshtrack:services:Service$docker:index/container:Container::migrate`;
export const JOB_WHY =
    "this job exited with code 1 in an earlier update; a plain 'pulumi up' would not run it again and would stop on that code";
