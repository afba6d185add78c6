// Runs cards through the official Adaptive Cards renderer (npm `adaptivecards`) under jsdom.
//
// Usage: node check_cards.cjs NODE_MODULES_DIR HOST_CONFIG_JSON < cards.json
// stdin:  [{"name": "...", "card": {...}}, ...]
// stdout: [{"name": "...", "problems": [...], "actions": [...], "legacyActions": [...]}, ...]
//
// Each card is parsed twice with a 1.5 serialization context and the Microsoft Teams host
// config: once as Teams parses it (Universal Actions), once as a client without
// Action.Execute, which must fall back to the Action.Submit. Every parse event, every
// validateProperties() event, every console message of the library and every exception
// while rendering is a problem; tests/cards/test_card_schema.py fails on any.
"use strict";

const fs = require("fs");
const path = require("path");

const [nodeModules, hostConfigPath] = process.argv.slice(2);
if (!nodeModules || !hostConfigPath) {
    process.stderr.write("usage: node check_cards.cjs NODE_MODULES_DIR HOST_CONFIG_JSON < cards.json\n");
    process.exit(2);
}
const requireFrom = (name) => require(path.join(nodeModules, name));

// The renderer needs a DOM; jsdom's window becomes the global scope, as in a browser.
const { JSDOM } = requireFrom("jsdom");
const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>", { pretendToBeVisual: true });
for (const key of Object.getOwnPropertyNames(dom.window)) {
    if (!(key in globalThis)) {
        try {
            globalThis[key] = dom.window[key];
        } catch {
            // a few window properties are accessors that cannot be copied; the renderer needs none
        }
    }
}

// The package's `lib/` entry is untranspiled ES modules without file extensions, which node
// cannot load; `dist/adaptivecards.js` is the published UMD bundle of the same sources.
const AC = requireFrom("adaptivecards/dist/adaptivecards.js");

// Teams renders its own Markdown subset; without a processor the library only warns.
AC.AdaptiveCard.onProcessMarkdown = (_text, result) => {
    result.didProcess = false;
};

const hostConfig = new AC.HostConfig(JSON.parse(fs.readFileSync(hostConfigPath, "utf8")));
const EXECUTE = "Action.Execute";

let consoleMessages = [];
for (const level of ["log", "info", "warn", "error"]) {
    console[level] = (...args) => {
        consoleMessages.push(`console.${level}: ${args.map(describe).join(" ")}`);
    };
}

function describe(value) {
    if (typeof value === "function") {
        try {
            return String(value());
        } catch {
            return String(value);
        }
    }
    return typeof value === "string" ? value : JSON.stringify(value);
}

function eventText(pass, event) {
    const source = event.source && event.source.getJsonTypeName ? ` (${event.source.getJsonTypeName()})` : "";
    return `${pass}: ${AC.ValidationPhase[event.phase]} ${AC.ValidationEvent[event.event]}${source}: ${event.message}`;
}

function withoutExecute() {
    const registry = new AC.CardObjectRegistry();
    AC.GlobalRegistry.populateWithDefaultActions(registry);
    registry.unregister(EXECUTE);
    return registry;
}

function actionSummary(action) {
    return {
        type: action.getJsonTypeName(),
        title: action.title === undefined ? null : action.title,
        verb: action.verb === undefined ? null : action.verb,
        data: action.data === undefined ? null : action.data,
    };
}

function check(json, legacy) {
    const pass = legacy ? "without Action.Execute" : "Teams";
    const problems = [];
    consoleMessages = [];
    const card = new AC.AdaptiveCard();
    card.hostConfig = hostConfig;
    const context = new AC.SerializationContext(AC.Versions.v1_5);
    if (legacy) {
        context.setActionRegistry(withoutExecute());
    }
    let actions = [];
    if (legacy && json.refresh !== undefined) {
        // A client without Universal Actions never refreshes a card: it ignores `refresh`,
        // whose action can only be an Action.Execute (no fallback applies to it).
        json = { ...json };
        delete json.refresh;
    }
    try {
        card.parse(json, context);
        for (let i = 0; i < context.eventCount; i++) {
            const event = context.getEventAt(i);
            const expected =
                legacy &&
                event.event === AC.ValidationEvent.UnknownActionType &&
                event.message.includes(`"${EXECUTE}"`);
            if (!expected) {
                problems.push(eventText(pass, event));
            }
        }
        for (const event of card.validateProperties().validationEvents) {
            problems.push(eventText(pass, event));
        }
        const element = card.render();
        if (!element || !element.outerHTML) {
            problems.push(`${pass}: render() returned no HTML element`);
        }
        actions = card.getAllActions().map(actionSummary);
    } catch (error) {
        problems.push(`${pass}: ${error && error.stack ? error.stack : error}`);
    }
    problems.push(...consoleMessages.map((message) => `${pass}: ${message}`));
    return { problems, actions };
}

const cards = JSON.parse(fs.readFileSync(0, "utf8"));
const results = cards.map(({ name, card }) => {
    const teams = check(card, false);
    const legacy = check(card, true);
    return {
        name,
        problems: [...teams.problems, ...legacy.problems],
        actions: teams.actions,
        legacyActions: legacy.actions,
    };
});
process.stdout.write(JSON.stringify(results));
