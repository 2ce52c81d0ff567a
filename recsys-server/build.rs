//! Embeds the built web pages (`web/dist`, made by `scripts/build-web.sh`) in release builds, so
//! the installed binary serves the shop from any directory. Debug builds (the tests) embed
//! nothing and serve pages only from `--web-dir`, so rebuilding the pages never recompiles them.
//! `RECSYS_EMBED_WEB=1` or `=0` overrides the choice.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RECSYS_EMBED_WEB");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let embed = match std::env::var("RECSYS_EMBED_WEB").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => std::env::var("PROFILE").as_deref() == Ok("release"),
    };
    let dist = manifest.join("web").join("dist");
    let mut files = Vec::new();
    if embed {
        // a missing folder is watched too: the next build after `scripts/build-web.sh` embeds it
        println!("cargo:rerun-if-changed={}", dist.display());
        if dist.join("index.html").is_file() {
            collect(&dist, &dist, &mut files);
            files.sort();
        } else {
            println!(
                "cargo:warning=recsys-server/web/dist has no built pages: this binary serves the \
                 API only (run scripts/build-web.sh first to embed the shop's pages)"
            );
        }
    }
    let mut code = String::from(
        "/// The built pages: (path under the site root, contents).\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        code.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let target = out.join("web_files.rs");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&target, code).expect("write web_files.rs");
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir).expect("read web/dist");
    for entry in entries {
        let path = entry.expect("read web/dist").path();
        // build tools' own files (`.vite/manifest.json`) are not pages
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let name = path
                .strip_prefix(root)
                .expect("under the root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((name, path));
        }
    }
}
