/**
 * Issue 15, finding 18: the internal CA gets a sane lifetime, and name
 * constraints where the provider can express them (it cannot: see
 * components/edge/internalCa.ts). Rung 1 (mocks) for what the program
 * registers, rung 3 (real openssl) for what those parameters make and for the
 * claim the renewal rests on.
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CA_EARLY_RENEWAL_HOURS, CA_VALIDITY_HOURS, SERVER_VALIDITY_HOURS } from "../components/edge/internalCa";
import { deployStack } from "../components/stack";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { runStack } from "./helpers";

const DAY = 24;

describe("internal CA (tlsMode: internal)", function () {
    this.timeout(60_000);
    let ca: RegisteredResource;
    let leaf: RegisteredResource;
    let csr: RegisteredResource;

    before(async () => {
        const { resources } = await runStack("dev", deployStack);
        ca = resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert")!;
        leaf = resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")!;
        csr = resources.find((r) => r.type === "tls:index/certRequest:CertRequest")!;
    });

    it("lives two years, not ten, and is re-issued by pulumi up well before it lapses (rung 1: mocks)", () => {
        expect(ca.inputs.validityPeriodHours).to.equal(CA_VALIDITY_HOURS);
        expect(CA_VALIDITY_HOURS).to.be.at.most(2 * 365 * DAY);
        expect(ca.inputs.earlyRenewalHours).to.equal(CA_EARLY_RENEWAL_HOURS);
        expect(CA_EARLY_RENEWAL_HOURS).to.be.within(30 * DAY, CA_VALIDITY_HOURS / 2);
        expect(ca.inputs.allowedUses).to.deep.equal(["cert_signing", "crl_signing"]);
        // Browsers refuse server certificates valid for more than 398 days.
        expect(leaf.inputs.validityPeriodHours).to.equal(SERVER_VALIDITY_HOURS);
        expect(SERVER_VALIDITY_HOURS).to.be.at.most(398 * DAY);
        expect(leaf.inputs.allowedUses).to.not.include("cert_signing");
    });

    it("has no name constraints because the provider has no input for them; this fails the day it gets one, to add them", () => {
        const schema = fs.readFileSync(require.resolve("@pulumi/tls/selfSignedCert.d.ts"), "utf8");
        const args = schema.slice(schema.indexOf("export interface SelfSignedCertArgs"));
        expect(args).to.not.match(/nameConstraint|permittedDns|excludedDns|permitted/i);
        expect(Object.keys(ca.inputs)).to.not.include("nameConstraints");
    });

    describe("what those parameters make, with real openssl (rung 3)", () => {
        let dir: string;
        const openssl = (args: string[]) =>
            execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        const subject = () =>
            `/O=${(ca.inputs.subject as { organization: string }).organization}/CN=${(ca.inputs.subject as { commonName: string }).commonName}`;
        /** A CA certificate as the provider makes it from the registered inputs: same key each time, new serial. */
        const issueCa = (file: string) =>
            openssl([
                "req",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-subj",
                subject(),
                "-days",
                String(Number(ca.inputs.validityPeriodHours) / DAY),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                file,
            ]);

        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-ca-"));
            openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
            issueCa("ca-first.pem");
            issueCa("ca-reissued.pem");
            const names = csr.inputs.dnsNames as string[];
            fs.writeFileSync(
                path.join(dir, "leaf.ext"),
                `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`,
            );
            openssl([
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "leaf.key",
                "-subj",
                `/CN=${names[0]}`,
                "-out",
                "leaf.csr",
            ]);
            openssl([
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca-reissued.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "2",
                "-days",
                String(Number(leaf.inputs.validityPeriodHours) / DAY),
                "-extfile",
                "leaf.ext",
                "-out",
                "leaf.pem",
            ]);
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("the CA certificate is valid for exactly the registered time and is a CA for signing only", () => {
            const text = openssl(["x509", "-in", "ca-first.pem", "-noout", "-text"]);
            const notBefore = Date.parse(/Not Before: (.+)/.exec(text)![1]!);
            const notAfter = Date.parse(/Not After : (.+)/.exec(text)![1]!);
            expect((notAfter - notBefore) / 3_600_000).to.equal(CA_VALIDITY_HOURS);
            expect(text).to.match(/CA:TRUE/);
            expect(text).to.match(/Certificate Sign, CRL Sign/);
        });

        it("a server certificate signed after the CA is re-issued verifies against the old CA certificate: renewal does not break trust", () => {
            const verified = spawnSync("openssl", ["verify", "-CAfile", "ca-first.pem", "leaf.pem"], {
                cwd: dir,
                encoding: "utf8",
            });
            expect(verified.status, verified.stderr).to.equal(0);
            expect(verified.stdout.trim()).to.equal("leaf.pem: OK");
        });
    });
});
