import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface InternalCaArgs {
    /** The stack's domain; the certificate covers it and its subdomains. */
    readonly domain: string;
    readonly organization: string;
}

const HOURS_PER_DAY = 24;

/**
 * TLS for `tlsMode: internal`: a CA made by the stack and a server
 * certificate it signs for the domain and `*.domain`. The CA certificate is a
 * stack output, so operators can add it to their trust store. The server
 * certificate is renewed by `pulumi up` 30 days before it expires.
 */
export class InternalCa extends pulumi.ComponentResource {
    readonly caCertPem: pulumi.Output<string>;
    readonly certPem: pulumi.Output<string>;
    readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: InternalCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:edge:InternalCa", name, {}, opts);
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                validityPeriodHours: 10 * 365 * HOURS_PER_DAY,
                allowedUses: ["cert_signing", "crl_signing"],
                subject: { commonName: `${args.organization} internal CA`, organization: args.organization },
            },
            { parent: this },
        );
        const key = new tls.PrivateKey(`${name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const csr = new tls.CertRequest(
            `${name}-server-csr`,
            { privateKeyPem: key.privateKeyPem, dnsNames: [args.domain, `*.${args.domain}`], subject: { commonName: args.domain, organization: args.organization } },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            `${name}-server-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caCertPem: ca.certPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                // Browsers refuse server certificates valid for more than 398 days.
                validityPeriodHours: 365 * HOURS_PER_DAY,
                earlyRenewalHours: 30 * HOURS_PER_DAY,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            },
            { parent: this },
        );
        this.caCertPem = ca.certPem;
        this.certPem = pulumi.all([cert.certPem, ca.certPem]).apply(([leaf, root]) => `${leaf.trim()}\n${root.trim()}\n`);
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.registerOutputs({ caCertPem: this.caCertPem });
    }
}
