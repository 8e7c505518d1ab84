# Sourced by the other scripts: tools on PATH, shared target dir when configured.
export PATH="$HOME/.cargo/bin:$(pwd)/end2end/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"
