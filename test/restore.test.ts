import { expect } from "chai";
import { confirmed, stackNamePrompt } from "../scripts/lib/confirm";
import { chooseBackup, confirmationText } from "../scripts/lib/restorePlan";

const LIST = [
    "/backups/postgres/freshtrack-scheduled-20261123T031500Z.dump",
    "/backups/postgres/freshtrack-pre-migrate-1.4.2-20261122T101010Z.dump",
    "/backups/postgres/freshtrack-scheduled-20261122T031500Z.dump",
    "",
];

describe("npm run restore", () => {
    it("restores the newest backup by default", () => {
        expect(chooseBackup(LIST)).to.deep.equal({ file: LIST[0] });
    });

    it("restores a named backup, by file name or full path", () => {
        expect(chooseBackup(LIST, "freshtrack-pre-migrate-1.4.2-20261122T101010Z.dump")).to.deep.equal({ file: LIST[1] });
        expect(chooseBackup(LIST, LIST[2])).to.deep.equal({ file: LIST[2] });
    });

    it("refuses an unknown name, listing the newest ones, and an empty host", () => {
        expect(chooseBackup(LIST, "freshtrack-nope.dump")).to.match(/^no backup named freshtrack-nope.dump; the newest are:\n {2}freshtrack-scheduled-20261123T031500Z.dump/);
        expect(chooseBackup([""])).to.match(/^no backup found on the host/);
    });

    it("asks the operator to type the stack name, and says what is kept", () => {
        const text = confirmationText("prod", "freshtrack", LIST[0]!);
        expect(text).to.contain("the current database is kept as freshtrack_before_restore_<time>");
        expect(stackNamePrompt("prod", text)).to.match(/Type the stack name \(prod\) to go ahead: $/);
        expect(confirmed("prod", "prod\n")).to.equal(true);
        expect(confirmed("prod", "y")).to.equal(false);
        expect(confirmed("prod", "staging")).to.equal(false);
    });
});
