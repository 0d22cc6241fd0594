import { expect } from "chai";
import { renderSummary } from "../scripts/lib/summary";

const OUTPUTS = {
    urls: {
        dashboard: "https://ft.example.com",
        api: "https://ft.example.com/api",
        grafana: "https://grafana.ft.example.com",
        prometheus: "https://prometheus.ft.example.com",
        alertmanager: "https://alertmanager.ft.example.com",
        queues: "https://ft.example.com/admin/queues",
        status: "https://status.ft.example.com",
    },
    adminPassword: "s3cret-admin",
    grafanaAdminPassword: "s3cret-grafana",
    alertDestinations: "email to oncall@example.com",
};

describe("npm run summary", () => {
    it("lists every URL and the credentials, masked by default, with next steps", () => {
        const { text, warning } = renderSummary(OUTPUTS, { stack: "prod", showSecrets: false, isTty: true });
        for (const url of Object.values(OUTPUTS.urls)) expect(text).to.contain(url);
        expect(text).to.not.contain("s3cret");
        expect(text).to.match(/Grafana\s+user admin, password \[secret\]/);
        expect(text).to.contain("create the first admin account");
        expect(text).to.contain("Alerts go to: email to oncall@example.com");
        expect(warning).to.equal(undefined);
    });

    it("shows secrets with --show-secrets on a terminal", () => {
        const { text } = renderSummary(OUTPUTS, { stack: "prod", showSecrets: true, isTty: true });
        expect(text).to.contain("password s3cret-grafana");
    });

    it("never shows secrets when the output is redirected, even with --show-secrets, and says why", () => {
        const { text, warning } = renderSummary(OUTPUTS, { stack: "prod", showSecrets: true, isTty: false });
        expect(text).to.not.contain("s3cret");
        expect(warning).to.match(/only prints secrets to a terminal/);
    });
});
