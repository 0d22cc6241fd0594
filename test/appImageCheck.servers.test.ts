/**
 * The FreshTrack image check (issue 17, friction 1: a user without the images is told what to do, naming them, before
 * any is pulled), run for real: the rendered scripts through shellcheck and `sh`, with a stand-in `docker` first on
 * PATH that records every call and answers `image inspect` (the daemon) and `manifest inspect` (the registry) from
 * the lists a test gives it. Rung 4 as far as it reaches: the last suite hands `manifest inspect` to the real docker
 * CLI, against a stand-in registry this test serves over TLS on 127.0.0.1 (skipped, saying so, without a docker CLI).
 * Nothing leaves 127.0.0.1: every other reference is answered by the stand-in.
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AppImageCheck, appImagesFix, renderAppImageCheckScript } from "../components/preflight/appImageCheck";
import { renderPreflightScript } from "../components/preflight/preflight";
import { shellcheck, waitForPort } from "./localServers";
import { PREFLIGHT_HERE } from "./preflightFixtures";
import { runWithStandInDocker, StandInDockerRun } from "./standIns";

const REFS = [
    "ghcr.io/freshtrack/freshtrack-backend:1.4.2",
    "ghcr.io/freshtrack/freshtrack-worker:1.4.2",
    "ghcr.io/freshtrack/freshtrack-frontend:1.4.2",
];
const DEV: AppImageCheck = { refs: REFS, stack: "dev", target: "local", registryLogin: false };

/** The stand-in: `image inspect` from STANDIN_DAEMON, `manifest inspect` from STANDIN_REGISTRY or the real CLI. */
const STANDIN_DOCKER = `#!/bin/sh
printf '%s\\n' "$*" >> "$STANDIN_LOG"
case "$1 $2" in
  "image inspect")
    case " $STANDIN_DAEMON " in *" $3 "*) echo '[{"Id": "sha256:0"}]'; exit 0 ;; esac
    echo "Error response from daemon: No such image: $3" >&2; exit 1 ;;
  "manifest inspect")
    if [ -n "\${REAL_DOCKER:-}" ]; then exec "$REAL_DOCKER" "$@"; fi
    case " $STANDIN_REGISTRY " in *" $3 "*) echo '{"schemaVersion": 2}'; exit 0 ;; esac
    printf 'errors:\\nmanifest unknown: manifest unknown\\n' >&2; exit 1 ;;
  "info --format") echo 27.5.1; exit 0 ;;
esac
echo "stand-in docker: unexpected call: $*" >&2
exit 99
`;

/** Runs `script` with `sh`, the stand-in docker first on PATH, the daemon and the registry holding what is given. */
function runWith(
    script: string,
    held: { daemon?: string[]; registry?: string[]; realDocker?: string },
): StandInDockerRun {
    return runWithStandInDocker(script, STANDIN_DOCKER, (dir) => ({
        STANDIN_DAEMON: (held.daemon ?? []).join(" "),
        STANDIN_REGISTRY: (held.registry ?? []).join(" "),
        ...(held.realDocker ? realDockerEnv(held.realDocker, dir) : {}),
    }));
}

/** The real CLI with a config of its own (no login of this machine's) and no daemon: only the registry is asked. */
function realDockerEnv(realDocker: string, dir: string): Record<string, string> {
    const config = path.join(dir, "docker-config");
    fs.mkdirSync(config);
    return {
        REAL_DOCKER: realDocker,
        DOCKER_CONFIG: config,
        DOCKER_HOST: `unix://${path.join(dir, "no-daemon.sock")}`,
        HOME: dir,
        // Go reads extra trust roots from SSL_CERT_FILE on Linux: the stand-in registry's own certificate.
        SSL_CERT_FILE: process.env.STANDIN_REGISTRY_CERT ?? "",
    };
}

describe("FreshTrack image check, run for real with a stand-in docker (issue 17, friction 1; rung 4)", function () {
    this.timeout(30_000);

    it("passes shellcheck as POSIX sh, alone and inside the pre-flight", () => {
        for (const script of [
            renderAppImageCheckScript(DEV),
            renderPreflightScript({
                stackLabel: "freshtrack-prod",
                dataPath: "/mnt/freshtrack-data",
                minFreeGb: 5,
                ports: [80, 443],
                dnsNames: [],
                publicAddress: "203.0.113.50",
                appImages: { ...DEV, stack: "prod", target: "droplet" },
            }),
        ]) {
            const result = shellcheck(script);
            expect(result.status, result.stdout).to.equal(0);
        }
    });

    it("fails a user who has none of the images with one message naming each, the three ways and this stack's config commands", () => {
        const out = runWith(renderAppImageCheckScript(DEV), {});
        expect(out.status).to.equal(1);
        expect(out.stderr).to.contain(
            "app images FAILED: the FreshTrack images are on this Docker daemon or can be pulled by it\n  saw: 3 of 3 cannot be had:\n",
        );
        for (const ref of REFS)
            expect(out.stderr).to.contain(
                `    ${ref}: not on this daemon; docker manifest inspect: errors: manifest unknown: manifest unknown`,
            );
        expect(out.stderr).to.contain(`  fix: ${appImagesFix(DEV)}\n`);
        for (const command of [
            "pulumi config set --stack dev appVersion <release>",
            "pulumi config set --stack dev appRegistryUsername <user>",
            "pulumi config set --stack dev --secret appRegistryPassword <token with read access>",
            "pulumi config set --stack dev --path appBuild.context ../freshtrack-pro",
            "pulumi config set --stack dev --path appImages.registry <registry host>/<namespace>",
        ])
            expect(out.stderr).to.contain(`         ${command}\n`);
        expect(out.stderr).to.contain('(docs/operations.md, "Where the FreshTrack images come from")');
        expect(out.stderr.trimEnd().split("\n").pop()).to.equal(
            "app images: no FreshTrack image was pulled and no FreshTrack container was created or changed",
        );
        // Asked the daemon, then the registry, of each; pulled nothing.
        expect(out.calls).to.deep.equal(REFS.flatMap((r) => [`image inspect ${r}`, `manifest inspect ${r}`]));
    });

    it("keeps every line of the message within 120 columns", () => {
        const out = runWith(renderAppImageCheckScript({ ...DEV, target: "droplet", stack: "prod" }), {});
        const wide = out.stderr.split("\n").filter((l) => l.length > 120 && !REFS.some((r) => l.includes(r)));
        expect(wide).to.deep.equal([]);
    });

    it("passes when the daemon has every image, without asking the registry", () => {
        const out = runWith(renderAppImageCheckScript(DEV), { daemon: REFS });
        expect(out.status, out.stderr).to.equal(0);
        expect(out.calls).to.deep.equal(REFS.map((r) => `image inspect ${r}`));
        expect(out.stdout).to.contain(`app images ok: FreshTrack image ${REFS[0]} (on this Docker daemon)`);
    });

    it("passes when the registry has them, pulling nothing", () => {
        const out = runWith(renderAppImageCheckScript(DEV), { registry: REFS });
        expect(out.status, out.stderr).to.equal(0);
        expect(out.calls.filter((c) => !/^(image|manifest) inspect /.test(c))).to.deep.equal([]);
        expect(out.stdout).to.contain(`app images ok: FreshTrack image ${REFS[2]} (in its registry)`);
    });

    it("names only the image that cannot be had", () => {
        const out = runWith(renderAppImageCheckScript(DEV), { daemon: [REFS[0]!], registry: [REFS[1]!] });
        expect(out.status).to.equal(1);
        expect(out.stderr).to.contain("saw: 1 of 3 cannot be had:\n");
        expect(out.stderr).to.contain(`    ${REFS[2]}: not on this daemon;`);
        expect(out.stderr).to.not.contain(`    ${REFS[0]}:`);
        expect(out.stderr).to.not.contain(`    ${REFS[1]}:`);
    });

    it("with a registry login, asks the registry nothing (the login is the provider's, not the CLI's) and passes", () => {
        const out = runWith(renderAppImageCheckScript({ ...DEV, registryLogin: true }), { daemon: [REFS[0]!] });
        expect(out.status, out.stderr).to.equal(0);
        expect(out.calls.filter((c) => c.startsWith("manifest"))).to.deep.equal([]);
        expect(out.stdout).to.contain(
            `FreshTrack image ${REFS[1]} (not on this Docker daemon yet; pulled with freshtrack:appRegistryUsername`,
        );
    });

    it("on a droplet or ssh host, fails the pre-flight the same way, saying what a remote build needs", () => {
        const check: AppImageCheck = { ...DEV, stack: "prod", target: "droplet" };
        const script = renderPreflightScript({ ...PREFLIGHT_HERE, appImages: check });
        const out = runWith(script, { registry: [REFS[0]!] });
        expect(out.status).to.equal(1);
        expect(out.stderr).to.contain(
            "preflight FAILED: the FreshTrack images are on this Docker daemon or can be pulled by it\n  saw: 2 of 3 cannot be had:\n",
        );
        expect(out.stderr).to.contain(`  fix: ${appImagesFix(check)}\n`);
        expect(out.stderr).to.contain("pushed to the appImages registry: set the login above, with write access");
        expect(out.stderr).to.contain("docker manifest inspect <reference> on the host");
        expect(out.stderr).to.contain("preflight: 1 check(s) failed; no container was created or changed");
        const { calls } = runWith(script, { daemon: REFS });
        expect(calls.filter((c) => c.startsWith("image inspect"))).to.have.length(3);
    });

    it("renders no image check into a pre-flight without one (a stack that builds its images)", () => {
        const script = renderPreflightScript(PREFLIGHT_HERE);
        expect(script).to.not.contain("APP_IMAGES");
        expect(runWith(script, {}).calls).to.deep.equal(["info --format {{.ServerVersion}}"]);
    });

    it("refuses to render a reference or a stack name that could break out of the script", () => {
        expect(() => renderAppImageCheckScript({ ...DEV, refs: ['ghcr.io/x:1"; curl evil #'] })).to.throw(/refusing/);
        expect(() => renderAppImageCheckScript({ ...DEV, stack: "dev'; id; '" })).to.throw(/refusing/);
    });
});

/** Serves the Docker Registry HTTP API over TLS on 127.0.0.1 with one image, freshtrack-backend:1.4.2. */
async function startRegistry(dir: string): Promise<{ port: number; child: ChildProcess; cert: string }> {
    const cert = path.join(dir, "registry.crt");
    const key = path.join(dir, "registry.key");
    spawnSync(
        "openssl",
        [
            ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
            ...["-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
            ...["-addext", "subjectAltName=IP:127.0.0.1"],
        ],
        { stdio: "ignore" },
    );
    const config = "{}";
    const configDigest = `sha256:${crypto.createHash("sha256").update(config).digest("hex")}`;
    const server = `
const https = require("https"), fs = require("fs"), crypto = require("crypto");
const config = ${JSON.stringify(config)};
const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", size: config.length, digest: ${JSON.stringify(configDigest)} },
  layers: [] });
const digest = "sha256:" + crypto.createHash("sha256").update(manifest).digest("hex");
const send = (req, res, type, body, d) => {
  res.writeHead(200, { "Content-Type": type, "Docker-Content-Digest": d, "Content-Length": Buffer.byteLength(body) });
  res.end(req.method === "HEAD" ? undefined : body);
};
const s = https.createServer({ key: fs.readFileSync(${JSON.stringify(key)}), cert: fs.readFileSync(${JSON.stringify(cert)}) }, (req, res) => {
  if (req.url === "/v2/") { res.writeHead(200, { "Docker-Distribution-API-Version": "registry/2.0" }); return res.end("{}"); }
  if (req.url === "/v2/freshtrack-backend/manifests/1.4.2" || req.url === "/v2/freshtrack-backend/manifests/" + digest)
    return send(req, res, "application/vnd.oci.image.manifest.v1+json", manifest, digest);
  if (req.url === "/v2/freshtrack-backend/blobs/" + ${JSON.stringify(configDigest)})
    return send(req, res, "application/octet-stream", config, ${JSON.stringify(configDigest)});
  res.writeHead(404, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }));
});
s.listen(0, "127.0.0.1", () => process.stdout.write(String(s.address().port) + "\\n"));
`;
    const child = spawn(process.execPath, ["-e", server], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve, reject) => {
        child.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
        child.once("exit", (code) => reject(new Error(`stand-in registry exited with ${code}`)));
    });
    await waitForPort(port);
    return { port, child, cert };
}

describe("FreshTrack image check with the real docker CLI against a stand-in registry on 127.0.0.1 (rung 4)", function () {
    this.timeout(60_000);
    const found = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8" });
    const realDocker = found.status === 0 ? found.stdout.trim() : "";
    let dir = "";
    let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;

    before(async function () {
        if (!realDocker) {
            console.log("      (no docker CLI on PATH: the real CLI's manifest inspect is not exercised here)");
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-registry-"));
        registry = await startRegistry(dir);
        process.env.STANDIN_REGISTRY_CERT = registry.cert;
    });
    after(() => {
        registry?.child.kill();
        delete process.env.STANDIN_REGISTRY_CERT;
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("passes an image the registry has and fails one it does not, with the registry's own answer", () => {
        const base = `127.0.0.1:${registry!.port}`;
        const refs = [`${base}/freshtrack-backend:1.4.2`, `${base}/freshtrack-worker:1.4.2`];
        const out = runWith(renderAppImageCheckScript({ ...DEV, refs }), { realDocker });
        expect(out.status, out.stderr).to.equal(1);
        expect(out.stdout).to.contain(`app images ok: FreshTrack image ${refs[0]} (in its registry)`);
        expect(out.stderr).to.contain("saw: 1 of 2 cannot be had:\n");
        expect(out.stderr).to.match(
            new RegExp(
                `    ${refs[1]!.replace(/[.]/g, "\\.")}: not on this daemon; docker manifest inspect: .*manifest unknown`,
            ),
        );
    });
});
