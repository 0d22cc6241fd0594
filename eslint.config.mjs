// The linter over every TypeScript file (npm run lint); layout is prettier's (.prettierrc.json, the same 120 columns).
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "policy/node_modules/", "policy/bin/", ".tmp-note/"] },
    eslint.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // Prettier breaks code at 120 columns but never a string or a comment; this catches the comments.
            // A long message string stays whole, so that it can be found with grep.
            "max-len": [
                "error",
                {
                    code: 120,
                    ignoreStrings: true,
                    ignoreTemplateLiterals: true,
                    ignoreRegExpLiterals: true,
                    ignoreUrls: true,
                },
            ],
            // `_` marks what a destructuring leaves out on purpose.
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
            ],
        },
    },
    {
        // @pulumi/policy hands stack rules their resources untyped (`any`); typed rules get the provider classes.
        files: ["policy/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
    {
        // chai's property assertions (`.to.be.empty`, `.that.is.not.empty`) are expressions by design.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-unused-expressions": "off" },
    },
);
