//! placeholder

/// placeholder
#[derive(Debug)]
pub struct Connection;
/// placeholder
#[derive(Debug)]
pub struct Config;
/// placeholder
#[derive(Debug)]
pub struct Closed;
/// placeholder
#[derive(Debug)]
pub enum Event {}
/// placeholder
#[derive(Debug)]
pub enum State {}
/// placeholder
#[derive(Debug)]
pub enum Transmit {}
