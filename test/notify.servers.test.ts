import { expect } from "chai";
import * as http from "http";
import * as net from "net";
import { notify, renderMessage } from "../operator/notify";
import { spawn } from "child_process";
import { freePort, stopServer, waitForPort } from "./localServers";
import { EVENT } from "./notifyFixtures";

async function receiver(status = 200): Promise<{ url: string; bodies: unknown[]; close: () => void }> {
    const bodies: unknown[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
            res.statusCode = status;
            res.end(status === 200 ? "ok" : "invalid_token");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`,
        bodies,
        close: () => server.close(),
    };
}

describe("deploy notifications", () => {
    it("post the text to Slack and the whole event to a webhook (real local receivers)", async () => {
        const slack = await receiver();
        const hook = await receiver();
        try {
            const deliveries = await notify(EVENT, { slackWebhookUrl: slack.url, webhookUrl: hook.url });
            expect(deliveries.map((d) => [d.destination, d.ok])).to.deep.equal([
                ["Slack", true],
                ["webhook", true],
            ]);
            expect(slack.bodies).to.deep.equal([{ text: renderMessage(EVENT) }]);
            expect(hook.bodies[0]).to.deep.include({
                stack: "prod",
                version: "1.5.0",
                result: "succeeded",
                text: renderMessage(EVENT),
            });
        } finally {
            slack.close();
            hook.close();
        }
    });

    it("never throw when a destination refuses or is down; they report what happened instead", async () => {
        const refusing = await receiver(403);
        const downPort = await freePort();
        try {
            const deliveries = await notify(
                EVENT,
                { slackWebhookUrl: refusing.url, webhookUrl: `http://127.0.0.1:${downPort}/x` },
                1000,
            );
            expect(deliveries[0]).to.deep.equal({ destination: "Slack", ok: false, detail: "HTTP 403 invalid_token" });
            expect(deliveries[1]!.ok).to.equal(false);
            expect(deliveries[1]!.detail).to.match(/ECONNREFUSED/);
        } finally {
            refusing.close();
        }
    });

    it("email the message through an SMTP relay (Python's smtpd on 127.0.0.1)", async () => {
        const port = await freePort();
        const smtpd = spawn(
            "python3",
            ["-u", "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer", `127.0.0.1:${port}`],
            { detached: true },
        );
        let received = "";
        smtpd.stdout.on("data", (d: Buffer) => (received += d.toString()));
        try {
            await waitForPort(port);
            const deliveries = await notify(
                { ...EVENT, result: "failed", detail: "verification failed" },
                {
                    email: {
                        to: ["oncall@example.com"],
                        from: "alerts@example.com",
                        smarthost: `127.0.0.1:${port}`,
                        requireTls: false,
                    },
                },
                5000,
            );
            expect(deliveries).to.deep.equal([
                { destination: "email", ok: true, detail: "accepted for oncall@example.com" },
            ]);
            for (let i = 0; i < 50 && !received.includes("MESSAGE END"); i++)
                await new Promise((r) => setTimeout(r, 50));
            expect(received).to.contain("Subject: [FreshTrack prod] Update failed: 1.5.0");
            // smtpd prints each line as a Python bytes literal; the body is quoted-printable (it has non-ASCII).
            const raw = received
                .split("\n")
                .map((l) => /^b(['"])(.*)\1$/.exec(l.trim())?.[2])
                .filter((l): l is string => l !== undefined)
                .join("\n");
            const body = Buffer.from(
                raw
                    .replace(/=\n/g, "")
                    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
                "latin1",
            ).toString("utf8");
            expect(body).to.contain(
                "❌ Update of FreshTrack 'prod' (ft.example.com) failed in 312 s: version 1.4.2 → 1.5.0. verification failed",
            );
        } finally {
            await stopServer(smtpd);
        }
    });

    it("refuse to email in clear text by default, and report it without throwing", async () => {
        const port = await freePort();
        const smtpd = spawn(
            "python3",
            ["-u", "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer", `127.0.0.1:${port}`],
            { detached: true },
        );
        try {
            await waitForPort(port);
            const [delivery] = await notify(
                EVENT,
                { email: { to: ["oncall@example.com"], from: "alerts@example.com", smarthost: `127.0.0.1:${port}` } },
                5000,
            );
            expect(delivery!.ok).to.equal(false);
            expect(delivery!.detail).to.match(/STARTTLS/i);
        } finally {
            await stopServer(smtpd);
        }
    });
});
