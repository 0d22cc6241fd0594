import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface InternalCaArgs {
    /** The stack's domain; the certificate covers it and its subdomains. */
    readonly domain: string;
    /**
     * The subject's organization on the CA and the server certificate, which browsers show (the Edge gives
     * `FreshTrack <stack>`); the CA's common name is `<organization> internal CA`.
     */
    readonly organization: string;
}

const HOURS_PER_DAY = 24;

/**
 * Lifetimes of the internal CA and of the server certificate it signs.
 *
 * The CA cannot be limited to the stack's domain: X.509 name constraints
 * (RFC 5280 4.2.1.10) are not an input of tls.SelfSignedCert (node_modules/@pulumi/tls@5.6.1
 * selfSignedCert.d.ts:244-297 lists every input; none constrains names), nor of the Terraform provider it
 * bridges (hashicorp/terraform-provider-tls: resource_self_signed_cert.go:52-320 at v4.2.1, the newest
 * stored tag, has no such attribute, and no tag from v4.0.5 on mentions NameConstraints or
 * PermittedDNSDomains under internal/). Nor can it forbid intermediates: `maxPathLength: 0` sets
 * MaxPathLen 0 without MaxPathLenZero (common_cert.go:188-190), which Go's crypto/x509 reads as "no
 * limit". So a machine that trusts this CA trusts whatever its key signs, and the key lives in the
 * stack's state. What bounds that is time: the CA lives two years, not ten, and `pulumi up` re-issues it
 * 90 days before it lapses, with the same key and name, so a machine that trusts the old certificate
 * accepts the new chain until the old one lapses: the 90 days are the time to install the new one. The
 * server certificate lives a year (browsers refuse more than 398 days) and is renewed 30 days early.
 */
export const CA_VALIDITY_HOURS = 2 * 365 * HOURS_PER_DAY;
export const CA_EARLY_RENEWAL_HOURS = 90 * HOURS_PER_DAY;
export const SERVER_VALIDITY_HOURS = 365 * HOURS_PER_DAY;
export const SERVER_EARLY_RENEWAL_HOURS = 30 * HOURS_PER_DAY;

/**
 * TLS for `tlsMode: internal`: a CA made by the stack and a server
 * certificate it signs for the domain and `*.domain`. The CA certificate is a
 * stack output, so operators can add it to their trust store. Lifetimes and
 * why the CA has no name constraints: CA_VALIDITY_HOURS above.
 */
export class InternalCa extends pulumi.ComponentResource {
    readonly caCertPem: pulumi.Output<string>;
    readonly certPem: pulumi.Output<string>;
    readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: InternalCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:edge:InternalCa", name, {}, opts);
        const caKey = new tls.PrivateKey(
            `${name}-ca-key`,
            { algorithm: "ECDSA", ecdsaCurve: "P256" },
            { parent: this },
        );
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                validityPeriodHours: CA_VALIDITY_HOURS,
                earlyRenewalHours: CA_EARLY_RENEWAL_HOURS,
                allowedUses: ["cert_signing", "crl_signing"],
                subject: { commonName: `${args.organization} internal CA`, organization: args.organization },
            },
            { parent: this },
        );
        const key = new tls.PrivateKey(
            `${name}-server-key`,
            { algorithm: "ECDSA", ecdsaCurve: "P256" },
            { parent: this },
        );
        const csr = new tls.CertRequest(
            `${name}-server-csr`,
            {
                privateKeyPem: key.privateKeyPem,
                dnsNames: [args.domain, `*.${args.domain}`],
                subject: { commonName: args.domain, organization: args.organization },
            },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            `${name}-server-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caCertPem: ca.certPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                validityPeriodHours: SERVER_VALIDITY_HOURS,
                earlyRenewalHours: SERVER_EARLY_RENEWAL_HOURS,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            },
            { parent: this },
        );
        this.caCertPem = ca.certPem;
        this.certPem = pulumi
            .all([cert.certPem, ca.certPem])
            .apply(([leaf, root]) => `${leaf.trim()}\n${root.trim()}\n`);
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.registerOutputs({ caCertPem: this.caCertPem });
    }
}
