const config = JSON.parse("{}");
throw new Error(`missing setting: ${config.setting}`);
