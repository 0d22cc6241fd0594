/** The confirmation restore and rollback ask for: the operator types the stack's name. */
import * as readline from "readline";

/** The operator confirmed only by typing the stack's name exactly. */
export function confirmed(stack: string, answer: string): boolean {
    return answer.trim() === stack;
}

/** What the operator reads before typing: the plan, then the request for the stack name. */
export function stackNamePrompt(stack: string, text: string): string {
    return `${text}\nType the stack name (${stack}) to go ahead: `;
}

/**
 * Prints `prompt` and asks for the stack name; resolves true only on an exact match. The end of input
 * before a line (stdin closed, /dev/null, an empty pipe, Ctrl-D) is a "no": readline then emits 'close'
 * and never calls the question's callback, and with nothing else pending Node would leave the promise
 * unsettled and exit 0, as if the restore had been done (issue 15, finding 13).
 */
export function askForStackName(
    stack: string,
    prompt: string,
    input: NodeJS.ReadableStream = process.stdin,
): Promise<boolean> {
    const rl = readline.createInterface({ input, output: process.stdout });
    return new Promise((resolve) => {
        let answered = false;
        rl.on("close", () => {
            if (answered) return;
            // The prompt's line is left open; end it so the refusal starts on a line of its own.
            process.stdout.write("\n");
            resolve(false);
        });
        rl.question(stackNamePrompt(stack, prompt), (answer) => {
            answered = true;
            rl.close();
            resolve(confirmed(stack, answer));
        });
    });
}
