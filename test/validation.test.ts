import { expect } from "chai";
import * as net from "net";
import {
    checkAdminCidrs,
    checkCidr,
    checkCron,
    checkDomain,
    checkEmail,
    checkHostPort,
    closestMatch,
    coverage,
    isDocumentationAddress,
    isReservedExampleDomain,
    isWorldCidr,
    parseCidr,
    parseImageRef,
} from "../components/validation";

describe("validation: pure checks behind the config", () => {
    it("accepts IPv4 and IPv6 CIDRs within their prefix lengths", () => {
        for (const ok of ["203.0.113.7/32", "10.0.0.0/8", "0.0.0.0/0", "2001:db8::/48", "::/0", "2001:db8::1/128"])
            expect(checkCidr(ok), ok).to.equal(undefined);
    });

    it("refuses CIDRs with a bad prefix, no prefix or no address", () => {
        for (const bad of ["10.0.0.0/33", "2001:db8::/129", "10.0.0.1", "example.com/24", "10.0.0/24", "10.0.0.0/-1"])
            expect(checkCidr(bad), bad).to.be.a("string");
    });

    it("recognises the whole-internet CIDRs of both families", () => {
        expect(["0.0.0.0/0", "::/0"].every(isWorldCidr)).to.equal(true);
        expect(isWorldCidr("0.0.0.0/1")).to.equal(false);
    });

    it("accepts DNS names and localhost; refuses spaces, uppercase, single labels and IPs", () => {
        for (const ok of ["freshtrack.example.com", "a-b.example.co.uk", "localhost", "freshtrack.localhost"])
            expect(checkDomain(ok), ok).to.equal(undefined);
        for (const bad of ["not a domain", "Freshtrack.example.com", "freshtrack", "-a.example.com", "10.0.0.1", ""])
            expect(checkDomain(bad), bad).to.be.a("string");
    });

    it("accepts pinned image references and refuses latest and untagged ones", () => {
        const pinned = parseImageRef("ghcr.io/freshtrack/freshtrack-backend:1.4.2");
        expect(pinned).to.deep.include({ repository: "ghcr.io/freshtrack/freshtrack-backend", tag: "1.4.2" });
        expect(parseImageRef(`postgres@sha256:${"a".repeat(64)}`)).to.deep.include({
            repository: "postgres",
            digest: `sha256:${"a".repeat(64)}`,
        });
        expect(parseImageRef("localhost:5000/ft/api:2.0")).to.deep.include({
            repository: "localhost:5000/ft/api",
            tag: "2.0",
        });
        expect(parseImageRef("ghcr.io/freshtrack/backend:latest")).to.match(/latest is refused/);
        expect(parseImageRef("ghcr.io/freshtrack/backend")).to.match(/untagged images are refused/);
        expect(parseImageRef("localhost:5000/ft/api")).to.match(/untagged/);
        expect(parseImageRef("Upper/Case:1")).to.match(/lowercase/);
        expect(parseImageRef("postgres@sha256:abc")).to.match(/64 hex digits/);
    });

    it("accepts five-field numeric cron expressions and explains bad ones", () => {
        for (const ok of ["15 3 * * *", "*/5 * * * *", "0 0-6/2 1,15 * 1-5", "0 0 * * 0"])
            expect(checkCron(ok), ok).to.equal(undefined);
        expect(checkCron("0 0 3 * * *")).to.match(/got 6/);
        expect(checkCron("60 * * * *")).to.match(/minute field must stay within 0-59/);
        expect(checkCron("0 5-1 * * *")).to.match(/runs backwards/);
        expect(checkCron("*/0 * * * *")).to.match(/step of 0/);
        expect(checkCron("@daily")).to.match(/got 1/);
    });

    it("checks email addresses and SMTP host:port", () => {
        expect(checkEmail("ops@example.com")).to.equal(undefined);
        expect(checkEmail("ops@example")).to.be.a("string");
        expect(checkHostPort("smtp.example.com:587")).to.equal(undefined);
        expect(checkHostPort("smtp.example.com")).to.be.a("string");
        expect(checkHostPort("smtp.example.com:70000")).to.be.a("string");
    });
});

describe("did-you-mean for misspelt keys, settings and stack names (closestMatch)", () => {
    it("finds the key a typo meant: a wrong case, a dropped or swapped letter", () => {
        const keys = ["appVersion", "appImages", "domain", "tlsMode", "resources"];
        expect(closestMatch("appversion", keys)).to.equal("appVersion");
        expect(closestMatch("appVerson", keys)).to.equal("appVersion");
        expect(closestMatch("domian", keys)).to.equal("domain");
        expect(closestMatch("resorces", keys)).to.equal("resources");
        expect(closestMatch("prd", ["dev", "prod", "staging"])).to.equal("prod");
    });

    it("takes an abbreviation for the one option it begins, and guesses nothing from one or two other letters", () => {
        expect(closestMatch("y", ["to", "yes"])).to.equal("yes");
        expect(closestMatch("x", ["to", "yes"])).to.equal(undefined);
        expect(closestMatch("hepl", ["to", "yes", "help"])).to.equal("help");
    });

    it("guesses nothing when two candidates are equally near", () => {
        expect(closestMatch("cat", ["bat", "hat"])).to.equal(undefined);
    });

    it("guesses nothing when no candidate is near", () => {
        expect(closestMatch("colour", ["appVersion", "domain", "tlsMode"])).to.equal(undefined);
        expect(
            closestMatch("postgresPassword", [
                "grafanaAdminPassword",
                "redisPassword",
                "minioRootPassword",
                "appJwtSecret",
            ]),
        ).to.equal(undefined);
        expect(closestMatch("x", [])).to.equal(undefined);
    });
});

describe("documentation names and addresses, which no deployed stack can use", () => {
    it("knows the RFC 2606 names: example.com/net/org and the .example, .test and .invalid TLDs", () => {
        for (const d of [
            "example.com",
            "freshtrack.example.com",
            "a.example.org",
            "x.example",
            "ft.test",
            "host.invalid",
        ])
            expect(isReservedExampleDomain(d), d).to.equal(true);
        for (const d of ["acme-foods.eu", "example.co.uk", "myexample.com", "examples.com", "testing.io"])
            expect(isReservedExampleDomain(d), d).to.equal(false);
    });

    it("knows the RFC 5737 and RFC 3849 ranges, for addresses and for networks inside them", () => {
        for (const a of [
            "192.0.2.10",
            "198.51.100.0/24",
            "203.0.113.0/28",
            "203.0.113.7/32",
            "2001:db8::10",
            "2001:db8:40::/48",
        ])
            expect(isDocumentationAddress(a), a).to.equal(true);
        // A network wider than the range reaches real addresses, so it is not an example.
        for (const a of [
            "203.0.112.0/23",
            "10.0.0.0/8",
            "81.2.69.0/28",
            "2001:db9::1",
            "2001:db8::/31",
            "not-an-address",
        ])
            expect(isDocumentationAddress(a), a).to.equal(false);
    });
});

/**
 * Issue 15, finding 8 (rung 1, pure functions): a world-open SSH rule spelt differently passed.
 * Networks are judged by the addresses they cover, together.
 */
describe("admin networks judged by the addresses they cover (issue 15, finding 8)", () => {
    it("parses every address form exactly as Node's own parser accepts it, and no zone ids", () => {
        const candidates = [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "010.0.0.1",
            "1.2.3",
            "256.0.0.1",
            "::",
            "::1",
            "1::",
            "0::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::8",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "2001:DB8::1",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "12345::",
            ":::",
            "1:2:3:4:5:6:7:8::",
            "fe80::1%eth0",
            "::ffff:1.2.3",
        ];
        for (const address of candidates) {
            const prefix = net.isIP(address) === 4 ? 32 : 128;
            const parsed = parseCidr(`${address}/${prefix}`);
            const accepted = typeof parsed !== "string" || !/not an IP address/.test(parsed);
            expect(accepted, address).to.equal(net.isIP(address) !== 0 && !address.includes("%"));
        }
        expect(parseCidr("1:2:3:4:5:6:1.2.3.4/128")).to.deep.equal({
            family: 6,
            network: 0x00010002000300040005000601020304n,
            prefix: 128,
        });
        expect(parseCidr("1::8/128")).to.deep.equal({ family: 6, network: (1n << 112n) | 8n, prefix: 128 });
    });

    it("refuses host bits set, naming the network the prefix starts at and the single-address form", () => {
        expect(checkCidr("1.2.3.4/0")).to.equal(
            "a network address with no host bits set: a /0 starts at 0.0.0.0/0; for the single address write 1.2.3.4/32",
        );
        expect(checkCidr("203.0.113.7/24")).to.match(
            /a \/24 starts at 203\.0\.113\.0\/24; for the single address write 203\.0\.113\.7\/32$/,
        );
        expect(checkCidr("2001:db8::1/48")).to.match(
            /a \/48 starts at 2001:db8::\/48; for the single address write 2001:db8::1\/128$/,
        );
        expect(checkCidr("2001:db8:0:0:1:0:0:1/64")).to.match(
            /starts at 2001:db8::\/64; for the single address write 2001:db8::1:0:0:1\/128$/,
        );
    });

    it("refuses IPv4 written as IPv4-mapped IPv6, naming the IPv4 network it is", () => {
        expect(checkCidr("::ffff:0.0.0.0/96")).to.equal(
            "an IPv4 network in IPv4 form: this IPv4-mapped IPv6 network is 0.0.0.0/0",
        );
        expect(checkCidr("::ffff:203.0.113.0/120")).to.match(/is 203\.0\.113\.0\/24$/);
        expect(checkCidr("::FFFF:cb00:7100/120")).to.match(/is 203\.0\.113\.0\/24$/);
    });

    it("counts overlapping networks once, and IPv4-mapped IPv6 as IPv4", () => {
        expect(coverage(["10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/9"])).to.deep.equal({ ipv4: 1n << 24n, ipv6: 0n });
        expect(coverage(["0.0.0.0/1", "128.0.0.0/1"]).ipv4).to.equal(1n << 32n);
        expect(coverage(["::ffff:0.0.0.0/96"]).ipv4).to.equal(1n << 32n);
        expect(coverage(["::/80"]).ipv4, "::/80 holds every IPv4-mapped address").to.equal(1n << 32n);
        expect(coverage(["not a cidr", "10.0.0.0/33"])).to.deep.equal({ ipv4: 0n, ipv6: 0n });
    });

    const WORLD =
        /^specific admin networks; SSH open to the whole internet is refused unless freshtrack:allowSshFromAnywhere is true \(together these cover every IPv/;
    const worldSpelledDifferently: string[][] = [
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["1.2.3.4/0"],
        ["0::/0"],
        ["::ffff:0.0.0.0/96"],
        ["::/1", "8000::/1"],
        ["::/80"],
        ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
        ["0:0:0:0:0:0:0:0/0"],
        ["0.0.0.0/0"],
        ["::/0"],
    ];
    for (const cidrs of worldSpelledDifferently) {
        it(`refuses ${JSON.stringify(cidrs)} as SSH open to the whole internet`, () => {
            expect(checkAdminCidrs(cidrs, false)).to.match(WORLD);
            expect(checkAdminCidrs(cidrs, true), "the explicit override lifts it").to.equal(undefined);
        });
    }

    it("refuses admin networks wider than a /8 of IPv4 or a /32 of IPv6 in total, however they are split", () => {
        const tooWide =
            /^admin networks covering at most a \/8 of IPv4 and a \/32 of IPv6 in total \(SSH only from known addresses\); these cover /;
        expect(checkAdminCidrs(["2.0.0.0/7"], false))
            .to.match(tooWide)
            .and.match(/33554432 IPv4 addresses \(as many as a \/7\)/);
        expect(checkAdminCidrs(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], false))
            .to.match(tooWide)
            .and.match(/17891328 IPv4 addresses \(as many as a \/7\)/);
        expect(checkAdminCidrs(["2000::/3"], false))
            .to.match(tooWide)
            .and.match(/as many IPv6 addresses as a \/3/);
        expect(checkAdminCidrs(["2001:db8::/32", "2001:db9::/32"], false))
            .to.match(tooWide)
            .and.match(/as a \/31/);
    });

    it("accepts real admin networks: a /32, an office, a private /8, an ISP-sized IPv6 /32 and the shipped examples", () => {
        for (const cidrs of [
            ["203.0.113.7/32"],
            ["10.0.0.0/8"],
            ["2001:db8::/32"],
            ["203.0.113.0/28", "2001:db8:40::/48"],
            ["198.51.100.0/24", "203.0.113.0/24"],
            [],
        ]) {
            expect(checkAdminCidrs(cidrs, false), JSON.stringify(cidrs)).to.equal(undefined);
        }
    });

    it("recognises the whole internet however one CIDR spells it", () => {
        for (const world of [
            "0.0.0.0/0",
            "::/0",
            "0::/0",
            "0:0:0:0:0:0:0:0/0",
            "1.2.3.4/0",
            "::ffff:0.0.0.0/96",
            "::/80",
        ])
            expect(isWorldCidr(world), world).to.equal(true);
        // ::/1 is half of IPv6 but holds ::ffff:0:0/96, every IPv4-mapped address, so it is the whole IPv4 internet.
        expect(isWorldCidr("::/1")).to.equal(true);
        for (const part of ["0.0.0.0/1", "8000::/1", "::ffff:0.0.0.0/97", "10.0.0.0/8"])
            expect(isWorldCidr(part), part).to.equal(false);
    });
});

/**
 * Issue 15, finding 14: backup.schedule is validated exactly as it is written into the crontab,
 * in the grammar of the cron that reads it (busybox crond, miscutils/crond.c ParseField).
 */
describe("backup schedules as busybox crond reads them (issue 15, finding 14)", () => {
    it("refuses characters that break the crontab line, naming them by code point (rung 1)", () => {
        expect(checkCron("15 3 * * *\n")).to.match(
            /in plain ASCII; it contains a line break \(U\+000A\), which would break the crontab line$/,
        );
        expect(checkCron("15 3\u00a0* * *")).to.match(/it contains a non-breaking space \(U\+00A0\)/);
        expect(checkCron("15 3 * * *\r")).to.match(/a carriage return \(U\+000D\)/);
        expect(checkCron("\ufeff15 3 * * *")).to.match(/a byte-order mark \(U\+FEFF\)/);
        expect(checkCron("15 3 * * *\u200b")).to.match(/a zero-width space \(U\+200B\)/);
        expect(checkCron("15 3 * * \u0000")).to.match(/a control character \(U\+0000\)/);
        expect(checkCron("\uff115 3 * * *")).to.match(/a non-ASCII character \(U\+FF11\)/);
        for (const spaced of [" 15 3 * * *", "15 3 * * * ", "15  3 * * *", "15\t3 * * *"]) {
            expect(checkCron(spaced), JSON.stringify(spaced)).to.match(
                /its fields separated by single spaces with none before or after$/,
            );
        }
    });

    it("takes names only where busybox does, three letters in any case, and refuses what busybox reads differently (rung 1)", () => {
        for (const ok of ["0 0 * * mon-fri", "0 0 * JAN,Jul *", "*/15 0-6/2 1,15 jan-dec sun", "59 23 31 12 6"])
            expect(checkCron(ok), ok).to.equal(undefined);
        expect(checkCron("0 0 * * 7")).to.match(
            /day of week field must stay within 0-6 \(Sunday is 0; busybox crond refuses 7\)/,
        );
        expect(checkCron("0 0 * * 1-7")).to.match(/within 0-6/);
        expect(checkCron("0 0 * * sunday")).to.match(/the day of week field 'sunday' is not one busybox crond reads/);
        expect(checkCron("mon 0 * * *")).to.match(
            /the minute field 'mon' is not one busybox crond reads: numbers 0-59, '\*'/,
        );
        expect(checkCron("5/10 * * * *")).to.match(/busybox crond reads as 5 alone: write 5-59\/10 or \*\/10$/);
        expect(checkCron("0 0 * * fri-mon")).to.match(/the range 'fri-mon' runs backwards/);
        expect(checkCron("@daily")).to.match(/got 1/);
        expect(checkCron("0 0 * * * /bin/sh -c reboot")).to.match(/got 8 field\(s\)/);
        expect(checkCron("0 0 * * 1#2")).to.match(/is not one busybox crond reads/);
        expect(checkCron("0 0 L * *")).to.match(/is not one busybox crond reads/);
    });
});

/**
 * Issue 15, finding 15 (rung 1): adminEmail reaches the Caddyfile, where Caddy expands
 * {$VAR} and {env.VAR}. Only a plain addr-spec passes.
 */
describe("email addresses: a plain addr-spec (issue 15, finding 15)", () => {
    it("accepts plain addresses, plus addressing, subdomains, punycode and any case", () => {
        for (const ok of [
            "ops@example.com",
            "ops+edge.alerts@example.com",
            "first.last@mail.freshtrack.example.com",
            "o_p-s%1@example.co.uk",
            "ops@xn--bcher-kva.example",
            "Ops@Example.COM",
            "ops@freshtrack.localhost",
        ]) {
            expect(checkEmail(ok), ok).to.equal(undefined);
        }
    });

    it("refuses what Caddy, a shell or YAML would read as syntax, naming the character and why", () => {
        expect(checkEmail("{$HOME}@example.com")).to.match(
            /it contains a brace \{, refused because Caddy expands \{\$VAR\} and \{env\.VAR\} in the Caddyfile, even inside quotes$/,
        );
        expect(checkEmail("ops@{env.CADDY_ADMIN}.example.com")).to.match(/a brace \{, refused/);
        expect(checkEmail("ops@example.com}")).to.match(/a brace \}, refused/);
        expect(checkEmail("ops$HOME@example.com")).to.match(
            /a dollar sign \$, refused because Caddy expands \{\$VAR\} in the Caddyfile, and shells expand \$$/,
        );
        expect(checkEmail('"ops"@example.com')).to.match(
            /a double quote ", refused because it ends a quoted Caddyfile token$/,
        );
        expect(checkEmail("o'brien@example.com")).to.match(
            /a single quote ', refused because it ends a quoted shell word$/,
        );
        expect(checkEmail("`ops@example.com")).to.match(
            /a backquote `, refused because it starts a quoted Caddyfile token$/,
        );
        expect(checkEmail("ops\\@example.com")).to.match(
            /a backslash \\, refused because it escapes the next character/,
        );
        expect(checkEmail("ops@example.com\n}\nadmin 0.0.0.0:2019")).to.match(/it contains a line break \(U\+000A\)$/);
        expect(checkEmail("ops @example.com")).to.match(/it contains a space \(U\+0020\)$/);
        expect(checkEmail("ops@exam\u00a0ple.com")).to.match(/a non-breaking space \(U\+00A0\)$/);
        expect(checkEmail("\u00f6ps@example.com")).to.match(/a non-ASCII character \(U\+00F6\)$/);
    });

    it("refuses what is not local@domain with a dot-atom and a DNS name", () => {
        for (const bad of [
            "#ops@example.com",
            "ops!x@example.com",
            "ops..x@example.com",
            ".ops@example.com",
            "ops.@example.com",
            `${"a".repeat(65)}@example.com`,
        ]) {
            expect(checkEmail(bad), bad).to.match(
                /the part before @ must be 1-64 letters, digits and _ % \+ -, with single dots between them$/,
            );
        }
        for (const bad of [
            "ops@example",
            "ops@1.2.3.4",
            "ops@-x.example.com",
            "ops@example.c0m1",
            "ops@example..com",
            `ops@${"a.".repeat(130)}com`,
        ]) {
            expect(checkEmail(bad), bad).to.match(/the part after @ must be a DNS name such as example\.com$/);
        }
        for (const bad of ["ops", "a@b@example.com", "@example.com", "ops@[192.0.2.1]"])
            expect(checkEmail(bad), bad).to.be.a("string");
    });
});
