//! `kino-app`: Kino for the desktop.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    native_lib::run()
}
