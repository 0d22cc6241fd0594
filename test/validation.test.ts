import { expect } from "chai";
import { checkCidr, checkCron, checkDomain, checkEmail, checkHostPort, closestMatch, isDocumentationAddress, isReservedExampleDomain, isWorldCidr, parseImageRef } from "../components/validation";

describe("validation: pure checks behind the config", () => {
    it("accepts IPv4 and IPv6 CIDRs within their prefix lengths", () => {
        for (const ok of ["203.0.113.7/32", "10.0.0.0/8", "0.0.0.0/0", "2001:db8::/48", "::/0", "2001:db8::1/128"]) expect(checkCidr(ok), ok).to.equal(undefined);
    });

    it("refuses CIDRs with a bad prefix, no prefix or no address", () => {
        for (const bad of ["10.0.0.0/33", "2001:db8::/129", "10.0.0.1", "example.com/24", "10.0.0/24", "10.0.0.0/-1"]) expect(checkCidr(bad), bad).to.be.a("string");
    });

    it("recognises the whole-internet CIDRs of both families", () => {
        expect(["0.0.0.0/0", "::/0"].every(isWorldCidr)).to.equal(true);
        expect(isWorldCidr("0.0.0.0/1")).to.equal(false);
    });

    it("accepts DNS names and localhost; refuses spaces, uppercase, single labels and IPs", () => {
        for (const ok of ["freshtrack.example.com", "a-b.example.co.uk", "localhost", "freshtrack.localhost"]) expect(checkDomain(ok), ok).to.equal(undefined);
        for (const bad of ["not a domain", "Freshtrack.example.com", "freshtrack", "-a.example.com", "10.0.0.1", ""]) expect(checkDomain(bad), bad).to.be.a("string");
    });

    it("accepts pinned image references and refuses latest and untagged ones", () => {
        const pinned = parseImageRef("ghcr.io/freshtrack/freshtrack-backend:1.4.2");
        expect(pinned).to.deep.include({ repository: "ghcr.io/freshtrack/freshtrack-backend", tag: "1.4.2" });
        expect(parseImageRef(`postgres@sha256:${"a".repeat(64)}`)).to.deep.include({ repository: "postgres", digest: `sha256:${"a".repeat(64)}` });
        expect(parseImageRef("localhost:5000/ft/api:2.0")).to.deep.include({ repository: "localhost:5000/ft/api", tag: "2.0" });
        expect(parseImageRef("ghcr.io/freshtrack/backend:latest")).to.match(/latest is refused/);
        expect(parseImageRef("ghcr.io/freshtrack/backend")).to.match(/untagged images are refused/);
        expect(parseImageRef("localhost:5000/ft/api")).to.match(/untagged/);
        expect(parseImageRef("Upper/Case:1")).to.match(/lowercase/);
        expect(parseImageRef("postgres@sha256:abc")).to.match(/64 hex digits/);
    });

    it("accepts five-field numeric cron expressions and explains bad ones", () => {
        for (const ok of ["15 3 * * *", "*/5 * * * *", "0 0-6/2 1,15 * 1-5", "0 0 * * 7"]) expect(checkCron(ok), ok).to.equal(undefined);
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
        expect(closestMatch("postgresPassword", ["grafanaAdminPassword", "redisPassword", "minioRootPassword", "appJwtSecret"])).to.equal(undefined);
        expect(closestMatch("x", [])).to.equal(undefined);
    });
});

describe("documentation names and addresses, which no deployed stack can use", () => {
    it("knows the RFC 2606 names: example.com/net/org and the .example, .test and .invalid TLDs", () => {
        for (const d of ["example.com", "freshtrack.example.com", "a.example.org", "x.example", "ft.test", "host.invalid"]) expect(isReservedExampleDomain(d), d).to.equal(true);
        for (const d of ["acme-foods.eu", "example.co.uk", "myexample.com", "examples.com", "testing.io"]) expect(isReservedExampleDomain(d), d).to.equal(false);
    });

    it("knows the RFC 5737 and RFC 3849 ranges, for addresses and for networks inside them", () => {
        for (const a of ["192.0.2.10", "198.51.100.0/24", "203.0.113.0/28", "203.0.113.7/32", "2001:db8::10", "2001:db8:40::/48"]) expect(isDocumentationAddress(a), a).to.equal(true);
        // A network wider than the range reaches real addresses, so it is not an example.
        for (const a of ["203.0.112.0/23", "10.0.0.0/8", "81.2.69.0/28", "2001:db9::1", "2001:db8::/31", "not-an-address"]) expect(isDocumentationAddress(a), a).to.equal(false);
    });
});

