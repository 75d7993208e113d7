//! Kafka Connect REST client (work in progress).
